// espprov-ca serve refuses what would let strangers in: no token without --no-auth, plain HTTP off loopback, a
// second server on the same registry; and a conflict never tells which uuid holds a MAC.
#include "ca_server_support.hpp"

namespace server_refusals_test {

using namespace ca_test;
using provision::ErrorCode;
namespace ca = provision::ca;

namespace {

std::vector<std::string> serve_argv(const test_support::TempDir& dir, std::vector<std::string> extra) {
  std::vector<std::string> argv{test_support::bin_path("espprov-ca").string(), "serve", "--dir",
                                (dir / "ca").string(), "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

void init(const test_support::TempDir& dir) {
  REQUIRE(test_support::run_process({test_support::bin_path("espprov-ca").string(), "init", (dir / "ca").string()})
              .exit_code == 0);
}

}  // namespace

TEST_CASE("serve without --token-file or --no-auth does not start", "[ca][server]") {
  test_support::TempDir dir;
  init(dir);
  auto refused = test_support::run_process(serve_argv(dir, {}), "", std::chrono::seconds(10));
  CHECK_FALSE(refused.timed_out);
  CHECK(refused.exit_code == provision::exit_code_of(provision::ErrorCode::usage));
  CHECK(refused.err.find("--token-file") != std::string::npos);
  CHECK(refused.err.find("--no-auth") != std::string::npos);
}

TEST_CASE("serve --no-auth starts with a warning on stderr", "[ca][server]") {
  test_support::TempDir dir;
  init(dir);
  auto run = test_support::run_process(serve_argv(dir, {"--no-auth"}), "", std::chrono::seconds(3));
  CHECK(run.timed_out);  // it was serving
  CHECK(run.out.find("\"listening\"") != std::string::npos);
  CHECK(run.err.find("warning: --no-auth") != std::string::npos);
}

TEST_CASE("serve --http refuses an address other machines reach", "[ca][server]") {
  test_support::TempDir dir;
  init(dir);
  auto argv = serve_argv(dir, {"--http", "--no-auth"});
  argv[5] = "0.0.0.0:0";
  auto refused = test_support::run_process(argv, "", std::chrono::seconds(10));
  CHECK_FALSE(refused.timed_out);
  CHECK(refused.exit_code == provision::exit_code_of(provision::ErrorCode::usage));
  CHECK(refused.err.find("clear text") != std::string::npos);
}

TEST_CASE("a second serve on the same registry refuses with a lock error", "[ca][server]") {
  CaServer server;
  auto second = test_support::run_process(
      {test_support::bin_path("espprov-ca").string(), "serve", "--dir", (server.dir / "ca").string(), "--listen",
       "127.0.0.1:0", "--token-file", (server.dir / "token").string()},
      "", std::chrono::seconds(10));
  CHECK_FALSE(second.timed_out);
  CHECK(second.exit_code == provision::exit_code_of(provision::ErrorCode::io));
  CHECK(second.err.find("locked") != std::string::npos);
  ca::Client client(server.options());  // the first one is still serving
  CHECK_FALSE(ca::run_register(client, identity(40)).certificate.empty());
}

TEST_CASE("a mac registered under another uuid is a 409 that does not name that uuid", "[ca][server]") {
  CaServer server;
  ca::Client client(server.options());
  auto first = identity(41);
  ca::run_register(client, first);
  auto other = identity(42);
  other.mac = first.mac;
  try {
    ca::run_register(client, other);
    FAIL("registered a second uuid with the same mac");
  } catch (const provision::Error& e) {
    CHECK(e.code() == ErrorCode::ca_conflict);
    CHECK(e.field() == "mac");
    CHECK(std::string(e.what()).find(first.uuid) == std::string::npos);
  }
}

}  // namespace server_refusals_test
