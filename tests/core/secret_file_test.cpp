// One reader for every secret file (WiFi password, CA token, PSK), one rule: the first line without its line end.
#include <catch2/catch.hpp>

#include <fstream>

#include "provision/ca.hpp"
#include "provision/files.hpp"
#include "support/process.hpp"

namespace secret_file_test {

namespace {

std::string secret_of(const test_support::TempDir& dir, const std::string& content) {
  {
    std::ofstream file(dir / "secret", std::ios::binary);
    file << content;
  }
  return provision::read_secret_file(dir / "secret", "secret");
}

}  // namespace

TEST_CASE("a secret file yields its first line without the line end, spaces kept", "[core][secrets]") {
  test_support::TempDir dir;
  CHECK(secret_of(dir, "token") == "token");
  CHECK(secret_of(dir, "token\n") == "token");
  CHECK(secret_of(dir, "token\r\n") == "token");
  CHECK(secret_of(dir, "token\nsecond line\n") == "token");
  CHECK(secret_of(dir, " pass phrase \n") == " pass phrase ");  // spaces belong to the secret
  try {
    secret_of(dir, "\nafter an empty first line\n");
    FAIL("an empty first line was accepted");
  } catch (const provision::Error& e) {
    CHECK(e.code() == provision::ErrorCode::bad_input);
    CHECK(e.field() == "secret");
  }
}

TEST_CASE("the CA token file follows the same rule as every other secret file", "[core][secrets]") {
  test_support::TempDir dir;
  secret_of(dir, " token with spaces \r\n");
  CHECK(provision::ca::read_token_file((dir / "secret").string()) == " token with spaces ");
}

}  // namespace secret_file_test
