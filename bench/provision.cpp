// The whole job per device: espprov provision against simulated boards at 921600 baud with wire pacing and flash
// timing on, and the reference CA over HTTPS on loopback. The simulated access point associates at once
// (connect_ms 0), so the figures exclude the WiFi association delay. Reports the per-step breakdown of one device,
// then the wall time of 1, 8 and 32 devices in one run. Targets: one device <= 3 s; 32 devices <= 1.5x one.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_process.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
const fs::path kBin = ESPPROV_BIN_DIR;

using bench::Child;
using bench::run_capture;

struct RunResult {
  double wall_s = 0;
  std::vector<nlohmann::ordered_json> records;
  int failed = 0;
  int exit_code = 0;
};

RunResult provision_run(const fs::path& work, int count, const std::string& ca_url, const fs::path& ca_cert,
                        const fs::path& aps) {
  const fs::path state = work / fmt::format("boards-{}", count);
  Child sim({(kBin / "espprov-sim").string(), "--count", std::to_string(count), "--chip", "esp32c3", "--state",
             state.string(), "--aps", aps.string(), "--baud-pacing", "on", "--flash-timing", "on",
             "--seed", std::to_string(1000 + count)});
  auto boards = nlohmann::json::parse(sim.line());
  std::vector<std::string> argv{(kBin / "espprov").string(), "provision", "--ca-url", ca_url, "--ca-bundle",
                                ca_cert.string(), "--ca-cert", ca_cert.string(), "--token-file",
                                (work / "token").string(), "--ssid", "bench-ap", "--password", "bench-password-1",
                                "--ledger", (work / fmt::format("ledger-{}.db", count)).string(), "--progress",
                                "none", "-b", "921600"};
  for (const auto& b : boards) argv.insert(argv.end(), {"--port", b["port"].get<std::string>()});
  RunResult result;
  int exit_code = 0;
  auto start = Clock::now();
  std::string out = run_capture(argv, &exit_code);
  result.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  result.exit_code = exit_code;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto record = nlohmann::ordered_json::parse(line);
    if (record.value("ok", false) != true) ++result.failed;
    result.records.push_back(std::move(record));
  }
  return result;
}

}  // namespace

int main() {
  const fs::path work = fs::temp_directory_path() / fmt::format("espprov-bench-provision-{}", ::getpid());
  fs::create_directories(work);
  {
    std::ofstream aps(work / "aps.json");
    aps << R"([{"ssid":"bench-ap","password":"bench-password-1","rssi":-40,"auth":"wpa2","connect_ms":0}])";
  }
  int rc = 0;
  run_capture({(kBin / "espprov-ca").string(), "init", (work / "ca").string(), "--host", "127.0.0.1"}, &rc);
  if (rc != 0) {
    std::fprintf(stderr, "bench: espprov-ca init failed\n");
    return 1;
  }
  {
    std::ofstream token(work / "token");
    token << "bench-token\n";
  }
  fs::permissions(work / "token", fs::perms::owner_read | fs::perms::owner_write);
  Child ca({(kBin / "espprov-ca").string(), "serve", "--dir", (work / "ca").string(), "--listen", "127.0.0.1:0",
            "--token-file", (work / "token").string()});
  auto announced = nlohmann::json::parse(ca.line());
  const std::string url = announced["listening"];
  const fs::path ca_cert = announced["ca_cert"].get<std::string>();

  fmt::print("espprov provision, esp32c3 boards at 921600 baud, pacing + flash timing on, HTTPS CA on loopback\n");
  std::map<int, double> wall;
  for (int count : {1, 8, 32}) {
    auto result = provision_run(work, count, url, ca_cert, work / "aps.json");
    wall[count] = result.wall_s;
    if (static_cast<int>(result.records.size()) != count) {
      fmt::print(stderr, "bench: espprov provision printed {} records for {} devices (exit {})\n",
                 result.records.size(), count, result.exit_code);
      return 1;
    }
    std::vector<double> per_device;
    for (const auto& r : result.records) per_device.push_back(r.value("seconds", 0.0));
    std::sort(per_device.begin(), per_device.end());
    double p50 = per_device.empty() ? 0 : per_device[per_device.size() / 2];
    double max = per_device.empty() ? 0 : per_device.back();
    fmt::print("{:>3} device(s): wall {:6.2f} s, per device p50 {:5.2f} s, max {:5.2f} s, failed {}\n", count,
               result.wall_s, p50, max, result.failed);
    if (count == 1 && !result.records.empty()) {
      const auto& timings = result.records[0]["timings"];
      std::string breakdown;
      for (const auto& [step, seconds] : timings.items()) breakdown += fmt::format(" {}={:.3f}", step, seconds.get<double>());
      fmt::print("    steps (s):{}\n", breakdown);
    }
  }
  fmt::print("target: one device <= 3 s: {:.2f} s {}; 32 devices <= 1.5x one: {:.2f}x {}\n", wall[1],
             wall[1] <= 3.0 ? "ok" : "MISSED", wall[32] / wall[1], wall[32] / wall[1] <= 1.5 ? "ok" : "MISSED");
  std::error_code ignored;
  fs::remove_all(work, ignored);
  return 0;
}
