// Stations end to end: espprov ports on recorded sysfs trees and on this machine, provision --ports auto with
// its filters, and --loop picking up boards plugged in later and ending the run of one unplugged mid-run with
// port_gone and a resumable ledger entry. Simulated boards appear as USB adapters through a small sysfs tree
// whose device nodes link to their pseudo-terminals ($ESPPROV_SYSFS_ROOT).
#include <catch2/catch.hpp>
#include <csignal>
#include <nlohmann/json.hpp>
#include <set>

#include "e2e/e2e_support.hpp"
#include "provision/error.hpp"
#include "provision/ledger.hpp"
#include "support/sysfs_tree.hpp"

namespace stations_test {

using namespace std::chrono_literals;
using nlohmann::json;
using test_support::run_process;
using test_support::TempDir;

namespace {

std::string espprov() {
  return test_support::bin_path("espprov").string();
}
std::string bench_root() {
  return test_support::source_path("tests/data/sysfs/bench").string();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

int exit_code(provision::ErrorCode code) {
  return provision::exit_code_of(code);
}

}  // namespace

TEST_CASE("espprov ports lists the recorded bench: JSON lines, CSV, text, filters (the --help examples)",
          "[e2e][ports]") {
  test_support::SysfsRootEnv env(bench_root());
  auto all = run_process({espprov(), "ports"});
  REQUIRE(all.exit_code == 0);
  auto records = e2e::records(all);
  REQUIRE(records.size() == 6);
  CHECK(records[0]["path"] == "/dev/ttyACM0");
  CHECK(records[0]["bridge"] == "usb-serial-jtag");
  CHECK(records[0]["reset"] == "usb-reset");
  CHECK(records[2]["path"] == "/dev/ttyUSB0");
  CHECK(records[2]["vid_pid"] == "10c4:ea60");
  CHECK(records[2]["by_id"] ==
        "/dev/serial/by-id/usb-Silicon_Labs_CP2102N_USB_to_UART_Bridge_Controller_a4c1385b2a5aec118b3e2fbc1b6b3a9e-"
        "if00-port0");
  CHECK(records[4]["location"] == "1-3.1");

  auto csv = run_process({espprov(), "ports", "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  auto rows = lines_of(csv.out);
  REQUIRE(rows.size() == 7);  // header + 6
  CHECK(rows[0].rfind("path,by_id,by_path,vid,pid,vid_pid,", 0) == 0);

  auto jtag = run_process({espprov(), "ports", "--esp-only", "--usb-vid-pid", "303a:1001", "--format", "text"});
  REQUIRE(jtag.exit_code == 0);
  CHECK_THAT(jtag.out, Catch::Contains("/dev/ttyACM0"));
  CHECK_THAT(jtag.out, Catch::Contains("usb-reset"));
  CHECK_THAT(jtag.out, !Catch::Contains("ttyUSB"));

  auto esp = run_process({espprov(), "ports", "--esp-only"});
  CHECK(e2e::records(esp).size() == 5);  // the GNSS receiver is not a board
  auto hub = run_process({espprov(), "ports", "--usb-location", "1-3"});
  CHECK(e2e::records(hub).size() == 2);

  auto bad = run_process({espprov(), "ports", "--usb-vid-pid", "10c4"});
  CHECK(bad.exit_code == exit_code(provision::ErrorCode::bad_input));
  CHECK_THAT(bad.err, Catch::Contains("--usb-vid-pid '10c4'"));
}

TEST_CASE("espprov ports without USB ports prints nothing and exits 0, on this machine it exits 0", "[e2e][ports]") {
  TempDir empty;
  {
    test_support::SysfsRootEnv env(empty.path());
    auto json_out = run_process({espprov(), "ports"});
    CHECK(json_out.exit_code == 0);
    CHECK(json_out.out.empty());
    auto csv = run_process({espprov(), "ports", "--format", "csv"});
    CHECK(csv.exit_code == 0);
    CHECK(lines_of(csv.out).size() == 1);  // the header alone
  }
  auto here = run_process({espprov(), "ports"});
  INFO(here.err);
  CHECK(here.exit_code == 0);
  for (const auto& record : e2e::records(here)) CHECK(record.contains("vid_pid"));
}

TEST_CASE("provision --ports auto takes the ESP-looking ports the filters accept, not the others",
          "[e2e][ports][provision]") {
  TempDir dir;
  sim_test::SimRun sim(3, "esp32c3");
  const auto& boards = sim.devices();
  TempDir root;
  test_support::add_usb_tty(root.path(), {"ttyUSB0", "1-1", "10c4", "ea60", "CP0", boards[0].port});
  test_support::add_usb_tty(root.path(), {"ttyUSB1", "1-2", "1a86", "7523", "CH1", boards[1].port});
  test_support::add_usb_tty(root.path(), {"ttyACM0", "1-5", "1546", "01a8", "GNSS", boards[2].port});  // not ESP
  test_support::SysfsRootEnv env(root.path());
  const std::string ledger = (dir / "ledger.db").string();

  auto filtered = run_process(
      e2e::provision_argv(nullptr, ledger, {}, {"--ports", "auto", "--usb-serial", "CH1", "--no-wifi"}), "", 120s);
  INFO(filtered.err);
  REQUIRE(filtered.exit_code == 0);
  auto one = e2e::records(filtered);
  REQUIRE(one.size() == 1);
  CHECK(one[0]["mac"] == boards[1].mac);
  CHECK(one[0]["port"] == (root / "dev/ttyUSB1").string());

  auto both = run_process(e2e::provision_argv(nullptr, ledger, {}, {"--ports", "auto", "--no-wifi"}), "", 120s);
  INFO(both.err);
  REQUIRE(both.exit_code == 0);
  std::set<std::string> macs;
  for (const auto& record : e2e::records(both)) macs.insert(record["mac"]);
  CHECK(macs == std::set<std::string>{boards[0].mac, boards[1].mac});  // never the GNSS receiver's port

  auto none = run_process(
      e2e::provision_argv(nullptr, ledger, {}, {"--ports", "auto", "--usb-vid-pid", "303a:1001", "--no-wifi"}), "",
      60s);
  CHECK(none.exit_code == exit_code(provision::ErrorCode::bad_input));
  CHECK_THAT(none.err, Catch::Contains("--ports auto found no ESP USB serial port"));
}

TEST_CASE(
    "provision --ports auto --loop picks up a board plugged in later, an unplugged one ends with port_gone "
    "and resumes when plugged back",
    "[e2e][ports][provision]") {
  TempDir dir;
  // Flash and boot timing on: a run lasts long enough to pull the cable in the middle of it.
  sim_test::SimRun sim(1, "esp32c3", {"--flash-timing", "on"});
  TempDir root;
  test_support::add_usb_tty(root.path(), {"ttyUSB0", "1-1", "10c4", "ea60", "A0", sim.devices()[0].port});
  test_support::SysfsRootEnv env(root.path());
  const std::string ledger = (dir / "ledger.db").string();
  auto argv = e2e::provision_argv(nullptr, ledger, {}, {"--ports", "auto", "--loop", "--no-wifi"});
  // Progress as NDJSON on the same pipe as the records, to see where a run is.
  for (auto it = argv.begin(); it != argv.end(); ++it) {
    if (*it == "--progress") *(it + 1) = "ndjson";
  }
  std::vector<std::string> shell{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1"};
  shell.insert(shell.end(), argv.begin(), argv.end());
  test_support::BackgroundProcess station(shell);
  auto next_record = [&]() {
    for (;;) {
      auto line = station.read_line(60s);
      auto parsed = json::parse(line, nullptr, false);
      if (parsed.is_object() && parsed.contains("ok")) return parsed;
    }
  };
  auto first = next_record();
  CHECK(first["ok"] == true);
  CHECK(first["mac"] == sim.devices()[0].mac);

  // Plugged in later: a new port appears (as udev adds its node) and is provisioned without a restart.
  auto plugged = json::parse(sim.control("plug"));
  const std::string usb1 = (root / "dev/ttyUSB1").string();
  test_support::add_usb_tty(root.path(), {"ttyUSB1", "1-2", "10c4", "ea60", "A1", plugged["port"]});
  auto second = next_record();
  CHECK(second["ok"] == true);
  CHECK(second["mac"] == plugged["mac"]);
  CHECK(second["port"] == usb1);

  // A third board, unplugged while it is being flashed.
  auto third = json::parse(sim.control("plug"));
  const std::string mac = third["mac"];
  test_support::add_usb_tty(root.path(), {"ttyUSB2", "1-3", "10c4", "ea60", "A2", third["port"]});
  const std::string usb2 = (root / "dev/ttyUSB2").string();
  for (;;) {
    auto event = json::parse(station.read_line(60s), nullptr, false);
    if (event.is_object() && event.value("device", "") == usb2 && event.value("step", "") == "flash" &&
        event.value("state", "") == "started") {
      break;
    }
    REQUIRE_FALSE((event.is_object() && event.contains("ok")));  // the run must not finish first
  }
  CHECK(sim.control("unplug " + mac) == "ok");
  test_support::remove_usb_tty(root.path(), "ttyUSB2");
  auto gone = next_record();
  INFO(gone.dump());
  CHECK(gone["ok"] == false);
  CHECK(gone["error"]["code"] == "port_gone");
  CHECK(gone["port"] == usb2);
  {
    provision::Ledger book(ledger);
    auto entry = book.find(mac);
    REQUIRE(entry);
    CHECK(entry->status != "done");
    CHECK(entry->error_code == "port_gone");
  }

  // Plugged back (same board, its flash kept): the station resumes it from the ledger.
  auto back = json::parse(sim.control("plug " + mac));
  test_support::add_usb_tty(root.path(), {"ttyUSB2", "1-3", "10c4", "ea60", "A2", back["port"]});
  auto resumed = next_record();
  CHECK(resumed["ok"] == true);
  CHECK(resumed["mac"] == mac);
  CHECK(resumed["resumed"] == true);
  ::kill(station.pid(), SIGTERM);
  station.wait_exit(20s);
  provision::Ledger book(ledger);
  CHECK(book.find(mac)->status == "done");
}

TEST_CASE("loader commands take --reset-sequence and --connect-attempts, each failed attempt is an NDJSON event",
          "[e2e][ports][reset]") {
  // A board that has stalled (it ignores its input after the first byte) stays silent: every attempt runs, and
  // each one is reported. (A running firmware would answer and end the connect at once with wrong_mode:
  // tests/e2e/board_mode_test.cpp.)
  sim_test::SimRun sim(1, "esp32c3", {"--boot", "app", "--fault-stall", "1"});
  const std::string port = sim.devices()[0].port;
  auto bad = run_process({espprov(), "chip", "--port", port, "--reset-sequence", "D0|R2"});
  CHECK(bad.exit_code == exit_code(provision::ErrorCode::bad_input));
  CHECK_THAT(bad.err, Catch::Contains("--reset-sequence 'D0|R2': command 2 'R2'"));

  // A pty has no modem lines and the board answers nothing: both attempts fail, each one reported.
  auto attempts = run_process({espprov(), "chip", "--port", port, "--connect-attempts", "2", "--reset-sequence",
                               "D0|R1|W0.1|D1|R0|W0.05|D0", "--progress", "ndjson"},
                              "", 60s);
  CHECK(attempts.exit_code == exit_code(provision::ErrorCode::device_timeout));
  int failed_events = 0;
  for (const auto& line : lines_of(attempts.err)) {
    auto event = json::parse(line, nullptr, false);
    if (event.is_object() && event.value("message", "").find("connect attempt") != std::string::npos) {
      ++failed_events;
      CHECK_THAT(event.value("message", ""),
                 Catch::Contains("of 2 failed after reset-sequence D0|R1|W0.1|D1|R0|W0.05|D0"));
    }
  }
  CHECK(failed_events == 2);

  sim.control("download 0");
  auto ok = run_process({espprov(), "chip", "--port", port, "--connect-attempts", "1", "--erase-timeout", "60",
                         "--first-packet-timeout", "10"},
                        "", 60s);
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
}

}  // namespace stations_test
