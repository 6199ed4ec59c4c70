// A board in the other mode and steps that wait, as a user sees them: `chip` on a running firmware and `info` on a
// board in the ROM loader fail within about a second with wrong_mode (exit 23) and say what to do; `provision`
// on a running firmware asks it for the loader at once; a slow CA or WiFi connection prints "waiting for ..." in
// plain progress and NDJSON events with a `waiting` object. Times are printed, not asserted (speed targets live
// in benchmarks); the simulator paces its bytes at the real baud rate.
#include <signal.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "e2e/e2e_support.hpp"
#include "provision/error.hpp"

namespace board_mode_test {

using e2e::CaRun;
using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

std::string espprov() {
  return test_support::bin_path("espprov").string();
}

int exit_code(provision::ErrorCode code) {
  return provision::exit_code_of(code);
}

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// The pid of the espprov-ca process serving from `dir` (CaRun keeps its process to itself).
int ca_server_pid(const std::filesystem::path& dir) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find("espprov-ca") != std::string::npos && cmdline.find(" serve") != std::string::npos &&
        cmdline.find(dir.string()) != std::string::npos) {
      return std::atoi(entry.path().filename().c_str());
    }
  }
  return -1;
}

std::vector<json> ndjson_events(const std::string& err) {
  std::vector<json> events;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) events.push_back(json::parse(line));
  return events;
}

}  // namespace

TEST_CASE("chip and mac on a running firmware fail with wrong_mode within about a second and say what to do",
          "[e2e][mode]") {
  SimRun sim(1, "esp32c3", {"--boot", "app", "--baud-pacing", "on"});
  const std::string port = sim.devices()[0].port;
  for (const char* command : {"chip", "mac"}) {
    const auto start = Clock::now();
    auto r = run_process({espprov(), command, "--port", port, "--progress", "none"}, "", 30s);
    std::cerr << "mode detection: espprov " << command << " on a running firmware exited " << r.exit_code << " after "
              << ms_since(start) << " ms (whole process)\n";
    INFO(r.err);
    CHECK(r.exit_code == exit_code(provision::ErrorCode::wrong_mode));
    auto error = json::parse(r.out)["error"];
    CHECK(error["code"] == "wrong_mode");
    CHECK(error["field"] == "port");
    CHECK_THAT(error["message"].get<std::string>(), Catch::Contains("runs its application, not the ROM loader"));
    CHECK_THAT(error["message"].get<std::string>(), Catch::Contains("hold BOOT (GPIO0) and press RESET"));
  }
}

TEST_CASE("info and pop on a board in the ROM loader fail with wrong_mode within about a second", "[e2e][mode]") {
  SimRun sim(1, "esp32c3", {"--baud-pacing", "on"});
  const std::string port = sim.devices()[0].port;
  for (const char* command : {"info", "pop"}) {
    const auto start = Clock::now();
    auto r = run_process({espprov(), command, "--port", port, "--progress", "none"}, "", 30s);
    std::cerr << "mode detection: espprov " << command << " on a board in download mode exited " << r.exit_code
              << " after " << ms_since(start) << " ms (whole process; ready timeout 10 s)\n";
    INFO(r.err);
    CHECK(r.exit_code == exit_code(provision::ErrorCode::wrong_mode));
    CHECK_THAT(r.err + r.out, Catch::Contains("is in the ROM loader"));
    CHECK_THAT(r.err + r.out, Catch::Contains("espprov reset -p " + port));
  }
  // The advice works: reset leaves the loader, and info then answers.
  auto reset = run_process({espprov(), "reset", "--port", port, "--progress", "none"}, "", 30s);
  INFO(reset.err);
  REQUIRE(reset.exit_code == 0);
  auto info = run_process({espprov(), "info", "--port", port, "--progress", "none"}, "", 30s);
  INFO(info.err);
  CHECK(info.exit_code == 0);
}

TEST_CASE("provision on a running firmware asks it for the ROM loader as soon as its console answers", "[e2e][mode]") {
  TempDir dir;
  SimRun sim(1, "esp32c3", {"--boot", "app", "--baud-pacing", "on"});
  const auto& board = sim.devices()[0];
  auto r = run_process({espprov(), "provision", "--port", board.port, "--ledger", (dir / "ledger.db").string(),
                        "--no-ca", "--no-wifi", "--progress", "ndjson"},
                       "", 120s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto record = json::parse(r.out);
  CHECK(record["ok"] == true);
  CHECK(record["mac"] == board.mac);
  double connect_started = -1, asked_at = -1;
  for (const auto& event : ndjson_events(r.err)) {
    if (event.value("step", "") != "connect") continue;
    if (event.value("state", "") == "started") connect_started = event["elapsed_s"].get<double>();
    if (event.value("message", "").find("the firmware is running; asking it") != std::string::npos) {
      asked_at = event["elapsed_s"].get<double>();
    }
  }
  REQUIRE(connect_started >= 0);
  REQUIRE(asked_at >= 0);
  std::cerr << "mode detection: provision on a running firmware asked for AT+BOOTLOADER "
            << static_cast<long long>((asked_at - connect_started) * 1000) << " ms into connect; connect took "
            << record["timings"]["connect"].get<double>() << " s in all\n";
}

TEST_CASE("a slow WiFi connection prints wait notices: plain lines and NDJSON waiting objects", "[e2e][progress]") {
  TempDir dir;
  const auto aps = dir / "aps.json";
  std::ofstream(aps) << json::array({{{"ssid", "slow-ap"},
                                      {"password", "patience is a virtue"},
                                      {"rssi", -50},
                                      {"auth", "wpa2"},
                                      {"channel", 6},
                                      {"connect_ms", 7000}}})
                            .dump();
  SimRun sim(1, "esp32c3", {"--aps", aps.string(), "--flash-timing", "on"});  // on: the AP's connect_ms applies
  const auto& board = sim.devices()[0];
  for (const char* mode : {"plain", "ndjson"}) {
    auto r = run_process({espprov(), "provision", "--port", board.port, "--ledger", (dir / "ledger.db").string(),
                          "--no-ca", "--ssid", "slow-ap", "--password", "patience is a virtue", "--progress", mode},
                         "", 120s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("patience") == std::string::npos);
    if (std::string(mode) == "plain") {
      CHECK_THAT(r.err, Catch::Contains(board.port + " wifi: waiting for WiFi, 3 s"));
      CHECK_THAT(r.err, Catch::Contains(board.port + " wifi: waiting for WiFi, 6 s"));
      continue;
    }
    int notices = 0;
    for (const auto& event : ndjson_events(r.err)) {
      if (!event.contains("waiting")) continue;
      ++notices;
      CHECK(event["step"] == "wifi");
      CHECK(event["waiting"]["for"] == "WiFi");
      CHECK(event["waiting"]["elapsed_s"].get<double>() >= 2.9);
      CHECK(event.contains("time"));
    }
    CHECK(notices >= 2);
  }
}

TEST_CASE("ca-register against a CA that does not answer for a while says it is waiting for the CA",
          "[e2e][progress]") {
  TempDir dir;
  CaRun ca(dir);
  auto identity = run_process({espprov(), "mac", "--mac", "A0B1C2D3E4F5"});
  identity = run_process({espprov(), "uuid", "--in", "-"}, identity.out);
  identity = run_process({espprov(), "psk", "--in", "-"}, identity.out);
  REQUIRE(identity.exit_code == 0);
  // The real CA, paused: its socket still accepts, the process answers nothing until it is continued.
  const int server = ca_server_pid(ca.dir());
  REQUIRE(server > 0);
  REQUIRE(::kill(server, SIGSTOP) == 0);
  std::thread resume([server] {
    std::this_thread::sleep_for(7s);
    ::kill(server, SIGCONT);
  });
  auto r = run_process({espprov(), "ca-register", "--in", "-", "--chip", "esp32c3", "--ca-url", ca.url(), "--ca-bundle",
                        ca.ca_cert(), "--ca-cert", ca.ca_cert(), "--token-file", ca.token_file(), "--ledger",
                        (dir / "ledger.db").string(), "--progress", "plain"},
                       identity.out, 60s);
  resume.join();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("ca-register: waiting for CA, 3 s"));
  CHECK_THAT(r.err, Catch::Contains("ca-register: waiting for CA, 6 s"));
}

}  // namespace board_mode_test
