// The connectivity step (issue 21) per device: espprov provision against simulated boards (921600 baud, pacing and
// flash timing on) and the reference CA over HTTPS, first without --mqtt-url, then with it against a real
// mosquitto 2 over TLS on loopback (require_certificate, use_identity_as_username, per-device ACL), under the same
// load. Reports 1 and 32 devices each way, the connectivity step's time (p50, max) and the wall-time ratios.
// Target: 32 devices <= 1.5x one, with the step.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "provision_lab.hpp"

namespace {

namespace fs = std::filesystem;

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

// The station's operator certificate, issued by the lab's CA (the openssl command, as an operator would).
bool issue_station_certificate(const fs::path& work) {
  const std::string ca_pem = (work / "ca" / "ca.pem").string(), ca_key = (work / "ca" / "ca.key").string();
  int rc = 0;
  bench::run_capture({"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", (work / "station.key").string(), "-subj", "/CN=espprov-station", "-out",
                      (work / "station.csr").string()},
                     &rc);
  if (rc != 0) return false;
  bench::run_capture({"/usr/bin/openssl", "x509", "-req", "-in", (work / "station.csr").string(), "-CA", ca_pem,
                      "-CAkey", ca_key, "-CAcreateserial", "-CAserial", (work / "ca.srl").string(), "-days", "30",
                      "-out", (work / "station.pem").string()},
                     &rc);
  return rc == 0;
}

// mosquitto 2 on a free loopback port: the CA's clients only, each device held to its own topics.
int write_broker_config(const fs::path& work) {
  const int port = free_port();
  std::ofstream acl(work / "acl");
  acl << "user espprov-station\ntopic read customer/+/location/+/device/+/telemetry\n"
         "pattern readwrite customer/+/location/+/device/%u/#\n";
  std::ofstream conf(work / "mosquitto.conf");
  conf << "persistence false\nlog_dest none\n" << (::getuid() == 0 ? "user root\n" : "") << "listener " << port
       << " 127.0.0.1\ncafile " << (work / "ca" / "ca.pem").string() << "\ncertfile "
       << (work / "ca" / "server.pem").string() << "\nkeyfile " << (work / "ca" / "server.key").string()
       << "\nrequire_certificate true\nuse_identity_as_username true\nacl_file " << (work / "acl").string() << "\n";
  return port;
}

// Each step's median over the run's devices: where the time of 32 boards goes, beside one board's.
std::string step_medians(const std::vector<nlohmann::ordered_json>& records) {
  std::map<std::string, std::vector<double>> by_step;
  for (const auto& r : records) {
    for (const auto& [step, seconds] : r["timings"].items()) by_step[step].push_back(seconds.get<double>());
  }
  std::string out;
  for (auto& [step, seconds] : by_step) {
    std::sort(seconds.begin(), seconds.end());
    out += fmt::format(" {}={:.3f}", step, seconds[seconds.size() / 2]);
  }
  return out;
}

}  // namespace

int main() {
  bench::ProvisionLab lab("mqtt");
  const fs::path& work = lab.work();
  if (!issue_station_certificate(work)) {
    fmt::print(stderr, "bench: openssl could not issue the station certificate\n");
    return 1;
  }
  const int port = write_broker_config(work);
  bench::Child broker({"/usr/sbin/mosquitto", "-c", (work / "mosquitto.conf").string()});
  for (int i = 0; i < 500 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  lab.serve_ca();
  const std::vector<std::string> mqtt_flags{"--mqtt-url", fmt::format("mqtts://127.0.0.1:{}", port), "--mqtt-cert",
                                            (work / "station.pem").string(), "--mqtt-key",
                                            (work / "station.key").string()};

  fmt::print("espprov provision [--mqtt-url], esp32c3 at 921600, pacing + flash timing on, CA (HTTPS) and mosquitto "
             "(TLS) on loopback\n");
  std::map<std::pair<bool, int>, double> wall;
  for (bool with_mqtt : {false, true}) {
    for (int count : {1, 32}) {
      auto result = lab.provision(count, (with_mqtt ? 2000 : 3000) + count,
                                  with_mqtt ? mqtt_flags : std::vector<std::string>{});
      wall[{with_mqtt, count}] = result.wall_s;
      if (static_cast<int>(result.records.size()) != count || result.failed != 0) {
        fmt::print(stderr, "bench: {} records, {} failed, for {} devices (exit {})\n", result.records.size(),
                   result.failed, count, result.exit_code);
        return 1;
      }
      std::string step_figures;
      if (with_mqtt) {
        std::vector<double> step;
        for (const auto& r : result.records) step.push_back(r["timings"].value("connectivity", 0.0));
        std::sort(step.begin(), step.end());
        step_figures = fmt::format("; connectivity step p50 {:5.3f} s, max {:5.3f} s", step[step.size() / 2],
                                   step.back());
      }
      fmt::print("{:>3} device(s) {:>12}: wall {:6.2f} s{}\n", count, with_mqtt ? "with MQTT" : "without MQTT",
                 result.wall_s, step_figures);
      fmt::print("    steps p50 (s):{}\n", step_medians(result.records));
    }
  }
  const double without = wall[{false, 32}] / wall[{false, 1}], with = wall[{true, 32}] / wall[{true, 1}];
  fmt::print("32 devices / one: {:.2f}x without MQTT, {:.2f}x with; the step adds {:.2f} s at 32 devices\n", without,
             with, wall[{true, 32}] - wall[{false, 32}]);
  fmt::print("target: 32 devices <= 1.5x one (with the connectivity step): {:.2f}x {}\n", with,
             with <= 1.5 ? "ok" : "MISSED");
  return 0;
}
