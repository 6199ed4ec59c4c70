// The connectivity step (issue 21) per device: espprov provision --mqtt-url against simulated boards (921600 baud,
// pacing and flash timing on), the reference CA over HTTPS and a real mosquitto 2 over TLS on loopback
// (require_certificate, use_identity_as_username, per-device ACL). Reports the connectivity step's time (p50, max)
// for 1 and 32 devices and the wall-time ratio. Target: 32 devices <= 1.5x one, with the step.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
#include <thread>
#include <vector>

#include "bench_process.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
const fs::path kBin = ESPPROV_BIN_DIR;

using bench::Child;

std::string run_capture(const std::vector<std::string>& argv, int& exit_code) {
  return bench::run_capture(argv, &exit_code);
}

struct RunResult {
  double wall_s = 0;
  std::vector<nlohmann::ordered_json> records;
  int failed = 0;
  int exit_code = 0;
};

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}


RunResult provision_run(const fs::path& work, int count, const std::string& ca_url, const fs::path& ca_cert,
                        const std::string& mqtt_url) {
  const fs::path state = work / fmt::format("boards-{}", count);
  Child sim({(kBin / "espprov-sim").string(), "--count", std::to_string(count), "--chip", "esp32c3", "--state",
             state.string(), "--aps", (work / "aps.json").string(), "--baud-pacing", "on", "--flash-timing", "on",
             "--seed", std::to_string(2000 + count)});
  auto boards = nlohmann::json::parse(sim.line());
  std::vector<std::string> argv{(kBin / "espprov").string(), "provision", "--ca-url", ca_url, "--ca-bundle",
                                ca_cert.string(), "--ca-cert", ca_cert.string(), "--token-file",
                                (work / "token").string(), "--ssid", "bench-ap", "--password", "bench-password-1",
                                "--ledger", (work / fmt::format("ledger-{}.db", count)).string(), "--progress",
                                "none", "-b", "921600", "--mqtt-url", mqtt_url, "--mqtt-cert",
                                (work / "station.pem").string(), "--mqtt-key", (work / "station.key").string()};
  for (const auto& b : boards) argv.insert(argv.end(), {"--port", b["port"].get<std::string>()});
  RunResult result;
  int exit_code = 0;
  auto start = Clock::now();
  std::string out = run_capture(argv, exit_code);
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
  const fs::path work = fs::temp_directory_path() / fmt::format("espprov-bench-mqtt-{}", ::getpid());
  fs::create_directories(work);
  {
    std::ofstream aps(work / "aps.json");
    aps << R"([{"ssid":"bench-ap","password":"bench-password-1","rssi":-40,"auth":"wpa2","connect_ms":0}])";
  }
  int rc = 0;
  run_capture({(kBin / "espprov-ca").string(), "init", (work / "ca").string(), "--host", "127.0.0.1"}, rc);
  if (rc != 0) {
    std::fprintf(stderr, "bench: espprov-ca init failed\n");
    return 1;
  }
  {
    std::ofstream token(work / "token");
    token << "bench-token\n";
  }
  fs::permissions(work / "token", fs::perms::owner_read | fs::perms::owner_write);
  // The station's operator certificate, issued by the same CA (the openssl command, as an operator would).
  const std::string ca_pem = (work / "ca" / "ca.pem").string(), ca_key = (work / "ca" / "ca.key").string();
  run_capture({"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-keyout", (work / "station.key").string(), "-subj", "/CN=espprov-station", "-out",
               (work / "station.csr").string()}, rc);
  run_capture({"/usr/bin/openssl", "x509", "-req", "-in", (work / "station.csr").string(), "-CA", ca_pem, "-CAkey",
               ca_key, "-CAcreateserial", "-CAserial", (work / "ca.srl").string(), "-days", "30", "-out",
               (work / "station.pem").string()}, rc);
  if (rc != 0) {
    std::fprintf(stderr, "bench: openssl could not issue the station certificate\n");
    return 1;
  }
  const int port = free_port();
  {
    std::ofstream acl(work / "acl");
    acl << "user espprov-station\ntopic read customer/+/location/+/device/+/telemetry\n"
           "pattern readwrite customer/+/location/+/device/%u/#\n";
    std::ofstream conf(work / "mosquitto.conf");
    conf << "persistence false\nlog_dest none\n" << (::getuid() == 0 ? "user root\n" : "") << "listener " << port
         << " 127.0.0.1\ncafile " << ca_pem << "\ncertfile " << (work / "ca" / "server.pem").string()
         << "\nkeyfile " << (work / "ca" / "server.key").string()
         << "\nrequire_certificate true\nuse_identity_as_username true\nacl_file " << (work / "acl").string() << "\n";
  }
  Child broker({"/usr/sbin/mosquitto", "-c", (work / "mosquitto.conf").string()});
  for (int i = 0; i < 500 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Child ca({(kBin / "espprov-ca").string(), "serve", "--dir", (work / "ca").string(), "--listen", "127.0.0.1:0",
            "--token-file", (work / "token").string()});
  auto announced = nlohmann::json::parse(ca.line());
  const std::string url = announced["listening"];
  const fs::path ca_cert = announced["ca_cert"].get<std::string>();
  const std::string mqtt_url = fmt::format("mqtts://127.0.0.1:{}", port);

  fmt::print("espprov provision --mqtt-url, esp32c3 at 921600, pacing + flash timing on, CA (HTTPS) and mosquitto "
             "(TLS) on loopback\n");
  std::map<int, double> wall;
  for (int count : {1, 32}) {
    auto result = provision_run(work, count, url, ca_cert, mqtt_url);
    wall[count] = result.wall_s;
    if (static_cast<int>(result.records.size()) != count || result.failed != 0) {
      fmt::print(stderr, "bench: {} records, {} failed, for {} devices (exit {})\n", result.records.size(),
                 result.failed, count, result.exit_code);
      return 1;
    }
    std::vector<double> step;
    for (const auto& r : result.records) step.push_back(r["timings"].value("connectivity", 0.0));
    std::sort(step.begin(), step.end());
    fmt::print("{:>3} device(s): wall {:6.2f} s; connectivity step p50 {:5.3f} s, max {:5.3f} s\n", count,
               result.wall_s, step[step.size() / 2], step.back());
  }
  fmt::print("target: 32 devices <= 1.5x one (with the connectivity step): {:.2f}x {}\n", wall[32] / wall[1],
             wall[32] / wall[1] <= 1.5 ? "ok" : "MISSED");
  std::error_code ignored;
  fs::remove_all(work, ignored);
  return 0;
}
