// End-to-end runs: the reference CA (espprov-ca) on loopback and simulated boards (espprov-sim), with espprov run
// as a user runs it. Every server a test needs is started here and stopped when the test ends.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/sim_run.hpp"
#include "support/process.hpp"

namespace e2e {

// `espprov-ca init` once per folder, then `serve` on 127.0.0.1 (port 0 the first time, the same port again after
// a restart, so a station keeps its --ca-url).
class CaRun {
 public:
  explicit CaRun(const test_support::TempDir& dir, std::vector<std::string> serve_extra = {});
  ~CaRun();
  const std::string& url() const { return url_; }
  const std::string& ca_cert() const { return ca_cert_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& token_file() const { return token_file_; }  // the bearer token the server requires
  void stop();
  void start();
  // Registered devices as `espprov-ca list` prints them.
  std::vector<nlohmann::json> list() const;
  // One POST over HTTPS (verified against the CA's certificate) with lib/ca's transport, as a backend or app
  // would send it: the answer's status and JSON body.
  struct Answer {
    int status = 0;
    nlohmann::json body;
  };
  Answer post(const std::string& target, const nlohmann::json& body) const;

 private:
  std::filesystem::path dir_;
  std::vector<std::string> serve_extra_;
  std::string listen_ = "127.0.0.1:0";
  std::string url_;
  std::string ca_cert_;
  std::string token_ = "e2e-token-0123456789";
  std::string token_file_;
  std::unique_ptr<test_support::BackgroundProcess> server_;
};

// The records espprov printed on stdout (NDJSON).
std::vector<nlohmann::json> records(const test_support::ProcessResult& result);

// espprov provision against the simulator and the CA: the flags every run needs (--no-ca when neither `ca` nor
// --ca-url is given, and --show-secrets).
std::vector<std::string> provision_argv(const CaRun* ca, const std::string& ledger,
                                        const std::vector<std::string>& ports, std::vector<std::string> extra = {});

// The credentials image as the device sees it: the `prov` NVS partition read from the board's flash file.
nlohmann::json flashed_credentials(const std::string& flash_file, std::uint32_t offset = 0x3F0000,
                                   std::uint32_t size = 0x10000);

inline const char* kLabSsid = "espprov-lab";
inline const char* kLabPassword = "correct horse battery";

}  // namespace e2e
