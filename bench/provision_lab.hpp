// What the whole-job benchmarks (provision, provision_mqtt) share: a work folder with the simulated access point
// and the CA token, the reference CA initialised and serving HTTPS on loopback, and one `espprov provision` run
// over N simulated esp32c3 boards at 921600 baud (pacing and flash timing on) whose records are collected.
// A header, not a .cpp: bench/CMakeLists.txt makes one benchmark of each .cpp here.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_process.hpp"

namespace bench {

namespace fs = std::filesystem;

struct RunResult {
  double wall_s = 0;
  std::vector<nlohmann::ordered_json> records;
  int failed = 0;
  int exit_code = 0;
};

class ProvisionLab {
 public:
  // `name` names the work folder in the temp folder (with this process's id).
  explicit ProvisionLab(const std::string& name)
      : work_(fs::temp_directory_path() / fmt::format("espprov-bench-{}-{}", name, ::getpid())) {
    fs::create_directories(work_);
    {
      // The simulated access point associates at once (connect_ms 0): figures exclude WiFi association.
      std::ofstream aps(work_ / "aps.json");
      aps << R"([{"ssid":"bench-ap","password":"bench-password-1","rssi":-40,"auth":"wpa2","connect_ms":0}])";
      std::ofstream token(work_ / "token");
      token << "bench-token\n";
    }
    fs::permissions(work_ / "token", fs::perms::owner_read | fs::perms::owner_write);
    int rc = 0;
    run_capture({bin("espprov-ca"), "init", (work_ / "ca").string(), "--host", "127.0.0.1"}, &rc);
    if (rc != 0) throw std::runtime_error("espprov-ca init failed");
  }
  ~ProvisionLab() {
    ca_.reset();
    std::error_code ignored;
    fs::remove_all(work_, ignored);
  }
  ProvisionLab(const ProvisionLab&) = delete;
  ProvisionLab& operator=(const ProvisionLab&) = delete;

  const fs::path& work() const { return work_; }
  static std::string bin(const char* name) { return (fs::path(ESPPROV_BIN_DIR) / name).string(); }

  // Starts `espprov-ca serve` on the folder (after anything else that must use the CA folder first).
  void serve_ca() {
    ca_ = std::make_unique<Child>(std::vector<std::string>{bin("espprov-ca"), "serve", "--dir", (work_ / "ca").string(),
                                                           "--listen", "127.0.0.1:0", "--token-file",
                                                           (work_ / "token").string()});
    auto announced = nlohmann::json::parse(ca_->line());
    ca_url_ = announced["listening"];
    ca_cert_ = announced["ca_cert"].get<std::string>();
  }

  // One `espprov provision` over `count` new simulated boards, with `extra` flags; wall time and records.
  RunResult provision(int count, int seed, const std::vector<std::string>& extra = {}) const {
    const fs::path state = work_ / fmt::format("boards-{}-{}", count, seed);
    Child sim({bin("espprov-sim"), "--count", std::to_string(count), "--chip", "esp32c3", "--state", state.string(),
               "--aps", (work_ / "aps.json").string(), "--baud-pacing", "on", "--flash-timing", "on", "--seed",
               std::to_string(seed)});
    auto boards = nlohmann::json::parse(sim.line());
    std::vector<std::string> argv{bin("espprov"), "provision", "--ca-url", ca_url_, "--ca-bundle", ca_cert_.string(),
                                  "--ca-cert", ca_cert_.string(), "--token-file", (work_ / "token").string(),
                                  "--ssid", "bench-ap", "--password", "bench-password-1", "--ledger",
                                  (work_ / fmt::format("ledger-{}-{}.db", count, seed)).string(), "--progress", "none",
                                  "-b", "921600"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const auto& b : boards) argv.insert(argv.end(), {"--port", b["port"].get<std::string>()});
    RunResult result;
    const auto start = std::chrono::steady_clock::now();
    const std::string out = run_capture(argv, &result.exit_code);
    result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      auto record = nlohmann::ordered_json::parse(line);
      if (record.value("ok", false) != true) ++result.failed;
      result.records.push_back(std::move(record));
    }
    return result;
  }

 private:
  fs::path work_;
  std::unique_ptr<Child> ca_;
  std::string ca_url_;
  fs::path ca_cert_;
};

}  // namespace bench
