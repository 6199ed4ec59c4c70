// Input checks made before anything is sent to a device (PROTOCOL.md 5.2).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "provision/error.hpp"
#include "provision/wifi_settings.hpp"

namespace settings_test {

using provision::wifi::validate_password;
using provision::wifi::validate_ssid;

namespace {

std::string field_of_failure(const auto& check) {
  try {
    check();
  } catch (const provision::Error& e) {
    CHECK(e.code() == provision::ErrorCode::bad_input);
    return e.field();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("an SSID has 1..32 bytes, counted in bytes not characters", "[wifi][settings]") {
  CHECK_NOTHROW(validate_ssid("x"));
  CHECK_NOTHROW(validate_ssid(std::string(32, 'a')));
  CHECK_NOTHROW(validate_ssid(std::string(",\"=\\\n\x7f\xff", 7)));
  CHECK(field_of_failure([] { validate_ssid(std::string("a\0b", 3)); }) == "ssid");
  CHECK(field_of_failure([] { validate_ssid(""); }) == "ssid");
  CHECK(field_of_failure([] { validate_ssid(std::string(33, 'a')); }) == "ssid");
  // 11 x 3-byte characters = 33 bytes.
  std::string euro;
  for (int i = 0; i < 11; ++i) euro += "\xe2\x82\xac";
  CHECK(field_of_failure([&] { validate_ssid(euro); }) == "ssid");
}

TEST_CASE("a passphrase has 8..63 printable ASCII characters", "[wifi][settings]") {
  CHECK_NOTHROW(validate_password("12345678", false));
  CHECK_NOTHROW(validate_password(std::string(63, '~'), false));
  CHECK_NOTHROW(validate_password(" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", false));
  CHECK(field_of_failure([] { validate_password("1234567", false); }) == "password");
  CHECK(field_of_failure([] { validate_password(std::string(65, 'a'), false); }) == "password");
  CHECK(field_of_failure([] {
          validate_password(
              "passw\x7f"
              "rd",
              false);
        }) == "password");
  CHECK(field_of_failure([] { validate_password("pass\nword", false); }) == "password");
  CHECK(field_of_failure([] { validate_password("caf\xc3\xa9-latte", false); }) == "password");
}

TEST_CASE("a raw key is exactly 64 hex digits", "[wifi][settings]") {
  CHECK_NOTHROW(validate_password(std::string(64, 'A'), false));
  CHECK_NOTHROW(validate_password(std::string(32, 'f') + std::string(32, '0'), false));
  // 64 printable characters that are not all hex: neither a passphrase (too long) nor a raw key.
  CHECK(field_of_failure([] { validate_password(std::string(63, 'a') + "g", false); }) == "password");
}

TEST_CASE("an empty password needs --open, and --open refuses a password", "[wifi][settings]") {
  CHECK_NOTHROW(validate_password("", true));
  CHECK(field_of_failure([] { validate_password("", false); }) == "password");
  CHECK(field_of_failure([] { validate_password("12345678", true); }) == "password");
}

TEST_CASE("password errors never contain the password", "[wifi][settings]") {
  for (const std::string& password : std::vector<std::string>{"short", "s3cr\x01t-value", std::string(70, 'Q')}) {
    try {
      validate_password(password, false);
      FAIL("accepted");
    } catch (const provision::Error& e) {
      CHECK(std::string(e.what()).find(password) == std::string::npos);
    }
  }
}

}  // namespace settings_test
