// Starts the real espprov-ca on 127.0.0.1 (port 0) in a temp folder, for client tests. It requires a bearer token
// (a token file in the folder) unless the test passes its own --token-file or --no-auth.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "provision/ca.hpp"
#include "provision/ca_crypto.hpp"
#include "provision/files.hpp"
#include "provision/record.hpp"
#include "support/process.hpp"

namespace ca_test {

struct CaServer {
  test_support::TempDir dir;
  std::unique_ptr<test_support::BackgroundProcess> process;
  std::string url;
  std::vector<std::string> extra;
  std::string token;  // what options() sends; "" when the test chose the server's authentication itself

  explicit CaServer(std::vector<std::string> serve_args = {}) : extra(std::move(serve_args)) {
    auto init = test_support::run_process({test_support::bin_path("espprov-ca").string(), "init",
                                           (dir / "ca").string()});
    REQUIRE(init.exit_code == 0);
    if (std::find(extra.begin(), extra.end(), "--token-file") == extra.end() &&
        std::find(extra.begin(), extra.end(), "--no-auth") == extra.end()) {
      token = "test-token-" + provision::ca::random_hex(8);
      provision::write_file_atomic(dir / "token", token + "\n", provision::FileMode::secret);
      extra.insert(extra.end(), {"--token-file", (dir / "token").string()});
    }
    start();
  }
  void start() {
    std::vector<std::string> argv{test_support::bin_path("espprov-ca").string(), "serve", "--dir",
                                  (dir / "ca").string(), "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<test_support::BackgroundProcess>(argv);
    url = provision::Record::parse(process->read_line())["listening"].get<std::string>();
  }
  std::string ca_pem() const { return (dir / "ca" / "ca.pem").string(); }
  provision::ca::ClientOptions options() const {
    provision::ca::ClientOptions o;
    o.url = url;
    o.ca_bundle = ca_pem();
    o.trusted_ca_pem = provision::read_file_text(ca_pem());
    o.token = token;
    o.allow_insecure_http = url.rfind("http://", 0) == 0;
    o.timeout = std::chrono::milliseconds(10000);
    return o;
  }
};

inline provision::ca::DeviceIdentity identity(int n, const std::string& psk = std::string(64, 'a')) {
  provision::ca::DeviceIdentity id;
  char mac[16], uuid[40];
  std::snprintf(mac, sizeof mac, "A0B1C2%06X", n);
  std::snprintf(uuid, sizeof uuid, "%08x-1111-4222-8333-444455556666", n);
  id.uuid = uuid;
  id.mac = mac;
  id.psk = psk;
  id.type = "esp32s3";
  return id;
}

inline provision::ErrorCode failure_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const provision::Error& e) {
    return e.code();
  }
  return provision::ErrorCode::internal;
}

}  // namespace ca_test
