// The CA client against the real espprov-ca on loopback: TLS verification, idempotency, conflicts, tokens.
#include <fstream>

#include "ca_server_support.hpp"
#include "provision/ca_crypto.hpp"
#include "provision/files.hpp"

namespace client_server_test {

using namespace ca_test;
using provision::ErrorCode;
namespace ca = provision::ca;

TEST_CASE("register over HTTPS with verification, openssl verify accepts the certificate", "[ca][loopback]") {
  CaServer server;
  ca::Client client(server.options());
  auto registration = ca::run_register(client, identity(1));
  CHECK(registration.device_key.find("BEGIN PRIVATE KEY") != std::string::npos);
  CHECK(registration.expiry.size() == 20);
  provision::write_file_atomic(server.dir / "device.pem", registration.certificate);
  auto verify = test_support::run_process({"/usr/bin/openssl", "verify", "-purpose", "sslclient", "-CAfile",
                                           server.ca_pem(), (server.dir / "device.pem").string()});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  auto health = ca::run_health(client);
  CHECK(health.tls_version.rfind("TLS", 0) == 0);
  CHECK(health.body["devices"] == 1);
}

TEST_CASE("a CA bundle that does not hold the server's root is refused as ca_tls", "[ca][loopback]") {
  CaServer server;
  test_support::TempDir other;
  REQUIRE(test_support::run_process({test_support::bin_path("espprov-ca").string(), "init",
                                     (other / "ca").string()}).exit_code == 0);
  auto options = server.options();
  options.ca_bundle = (other / "ca" / "ca.pem").string();
  ca::Client client(options);
  CHECK(failure_of([&] { ca::run_register(client, identity(2)); }) == ErrorCode::ca_tls);
}

TEST_CASE("http is refused without allow_insecure_http, and works with it", "[ca][loopback]") {
  CaServer server({"--http"});
  auto options = server.options();
  options.allow_insecure_http = false;
  CHECK(failure_of([&] { ca::Client client(options); }) == ErrorCode::ca_insecure);
  options.allow_insecure_http = true;
  ca::Client client(options);
  CHECK_FALSE(ca::run_register(client, identity(3)).certificate.empty());
}

TEST_CASE("register is idempotent, another psk or mac for the uuid is a conflict", "[ca][loopback]") {
  CaServer server;
  ca::Client client(server.options());
  auto id = identity(4);
  auto first = ca::run_register(client, id);
  id.device_key = first.device_key;  // a resumed run reuses the key
  auto again = ca::run_register(client, id);
  CHECK(again.certificate == first.certificate);
  auto other_psk = id;
  other_psk.psk = std::string(64, 'b');
  CHECK(failure_of([&] { ca::run_register(client, other_psk); }) == ErrorCode::ca_conflict);
  auto other_mac = id;
  other_mac.mac = "A0B1C2FFFFFF";
  CHECK(failure_of([&] { ca::run_register(client, other_mac); }) == ErrorCode::ca_conflict);
  auto new_key = identity(4);  // same identity, fresh key: the CA must not certify a second key
  CHECK(failure_of([&] { ca::run_register(client, new_key); }) == ErrorCode::ca_conflict);
}

TEST_CASE("a CA that generates the key returns the same key on a retry", "[ca][loopback]") {
  CaServer server;
  ca::Client client(server.options());
  auto id = identity(5);
  id.key_source = ca::KeySource::none;
  auto first = ca::run_register(client, id);
  auto again = ca::run_register(client, id);
  CHECK(first.device_key.find("BEGIN PRIVATE KEY") != std::string::npos);
  CHECK(again.device_key == first.device_key);
  CHECK(again.certificate == first.certificate);
}

TEST_CASE("a token-protected CA answers 401 without the token", "[ca][loopback]") {
  test_support::TempDir tokens;
  provision::write_file_atomic(tokens / "token", std::string("s3cret-token\n"), provision::FileMode::secret);
  CaServer server({"--token-file", (tokens / "token").string()});
  auto options = server.options();
  CHECK(failure_of([&] { ca::Client c(options); ca::run_register(c, identity(6)); }) == ErrorCode::ca_unauthorized);
  options.token = "wrong";
  CHECK(failure_of([&] { ca::Client c(options); ca::run_register(c, identity(6)); }) == ErrorCode::ca_unauthorized);
  options.token = ca::read_token_file((tokens / "token").string());
  ca::Client client(options);
  CHECK_FALSE(ca::run_register(client, identity(6)).certificate.empty());
}

TEST_CASE("an acknowledged registration survives kill -9 of the server", "[ca][loopback]") {
  CaServer server;
  std::vector<std::string> certificates;
  {
    ca::Client client(server.options());
    for (int n = 10; n < 15; ++n) {
      auto id = identity(n);
      id.key_source = ca::KeySource::none;
      certificates.push_back(ca::run_register(client, id).certificate);
    }
  }
  server.process->kill_hard();
  server.start();
  ca::Client client(server.options());
  for (int n = 10; n < 15; ++n) {
    auto id = identity(n);
    id.key_source = ca::KeySource::none;
    CHECK(ca::run_register(client, id).certificate == certificates[static_cast<std::size_t>(n - 10)]);
  }
  auto list = test_support::run_process({test_support::bin_path("espprov-ca").string(), "list", "--dir",
                                         (server.dir / "ca").string()});
  CHECK(std::count(list.out.begin(), list.out.end(), '\n') == 5);
  CHECK(list.out.find(std::string(64, 'a')) == std::string::npos);  // no psk in the listing
}

TEST_CASE("the station trusts --ca-cert, not the CA certificate the answer carries", "[ca][loopback][trust]") {
  CaServer server;
  test_support::TempDir other;
  REQUIRE(test_support::run_process({test_support::bin_path("espprov-ca").string(), "init",
                                     (other / "ca").string()}).exit_code == 0);
  auto options = server.options();
  options.trusted_ca_pem = provision::read_file_text(other / "ca" / "ca.pem");
  ca::Client pinned_elsewhere(options);
  CHECK(failure_of([&] { ca::run_register(pinned_elsewhere, identity(7)); }) == ErrorCode::ca_untrusted);

  options.trusted_ca_pem.clear();  // neither a CA certificate nor trust in the answer: refused before sending
  CHECK(failure_of([&] { ca::Client c(options); ca::run_register(c, identity(8)); }) == ErrorCode::usage);
  options.trust_ca_response = true;
  ca::Client trusting(options);
  CHECK_FALSE(ca::run_register(trusting, identity(8)).certificate.empty());
  CHECK(ca::run_health(trusting).body["devices"] == 2);  // identity(7) was registered, never accepted
}

}  // namespace client_server_test
