// espprov provision end to end: simulated boards, the reference CA over HTTPS on loopback, the real executables.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "e2e/e2e_support.hpp"
#include "provision/device_record.hpp"
#include "provision/ledger.hpp"

namespace provision_test {

using e2e::CaRun;
using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

std::string ledger_path(const TempDir& dir) { return (dir / "ledger.db").string(); }

// Polls the ledger beside the running espprov (WAL lets a reader in) until `mac`'s last completed step is `step`.
bool ledger_reaches_step(const std::string& path, const std::string& mac, const std::string& step,
                         std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(path)) {
      try {
        provision::Ledger ledger(path);
        auto entry = ledger.find(mac);
        if (entry && entry->step == step) return true;
      } catch (const provision::Error&) {
        // busy for a moment while espprov commits: look again
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// RFC 4180 rows: quoted cells may hold commas, quotes ("") and line ends (a PEM certificate).
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(cell));
      cell.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::move(cell));
      cell.clear();
      rows.emplace_back();
      ++i;
    } else {
      cell += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

}  // namespace

TEST_CASE("provision: the CSV has every field provision sets, in the record table's order", "[e2e][provision][csv]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  auto argv = e2e::provision_argv(&ca, ledger_path(dir), {sim.devices()[0].port}, {"--format", "csv"});
  auto result = run_process(argv, "", 120s);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto rows = csv_rows(result.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == provision::step_csv_columns("provision"));
  REQUIRE(rows[1].size() == rows[0].size());
  std::map<std::string, std::string> cell;
  for (std::size_t i = 0; i < rows[0].size(); ++i) cell[rows[0][i]] = rows[1][i];
  CHECK(cell["ok"] == "true");
  CHECK(cell["verified"] == "true");
  CHECK(cell["flash_verified"] == "true");
  CHECK(cell["pop_registered"] == "true");
  CHECK(json::parse(cell["timings"]).contains("flash"));
  CHECK(cell["certificate"].find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(cell["psk"].size() == 64);  // the helper passes --show-secrets (safe_defaults_test checks the default)
  CHECK(cell["device_key"].find("PRIVATE KEY") != std::string::npos);
  CHECK(cell["error_code"].empty());
}

TEST_CASE("provision: one board ends connected, verified, registered, with the credentials in its flash",
          "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto result = run_process(e2e::provision_argv(&ca, ledger_path(dir), {board.port},
                                                {"--save", (dir / "saved.ndjson").string()}),
                            "", 120s);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto out = e2e::records(result);
  REQUIRE(out.size() == 1);
  const auto& r = out[0];
  CHECK(r["ok"] == true);
  CHECK(r["port"] == board.port);
  CHECK(r["chip"] == "esp32c3");
  CHECK(r["mac"] == board.mac);
  CHECK(r["verified"] == true);        // the identity check
  CHECK(r["flash_verified"] == true);  // the flash MD5 check
  CHECK(r["ip"].get<std::string>().size() >= 7);
  CHECK(r["psk"].get<std::string>().size() == 64);
  CHECK(r["nvs_offset"] == "0x3F0000");
  CHECK(r["pop_registered"] == true);
  CHECK(r.contains("expiry"));
  for (const char* step : {"connect", "chip", "mac", "identity", "ca-register", "nvs-build", "flash", "boot", "wifi",
                           "verify"}) {
    CHECK(r["timings"].contains(step));
  }
  // What the board holds is what the record says.
  auto flashed = e2e::flashed_credentials(board.flash);
  CHECK(flashed["uuid"] == r["uuid"]);
  CHECK(flashed["psk"] == r["psk"]);
  CHECK(flashed["device_cert"] == r["certificate"]);
  CHECK(flashed["wifi_ssid"] == e2e::kLabSsid);
  // The CA registered it once; the ledger says done; --save holds the secrets, 0600.
  auto registered = ca.list();
  REQUIRE(registered.size() == 1);
  CHECK(registered[0]["uuid"] == r["uuid"]);
  provision::Ledger ledger(ledger_path(dir));
  auto entry = ledger.find(board.mac);
  REQUIRE(entry);
  CHECK(entry->status == "done");
  struct stat st {};
  REQUIRE(::stat((dir / "saved.ndjson").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // Secrets never reach stderr.
  CHECK(result.err.find(r["psk"].get<std::string>()) == std::string::npos);
  CHECK(result.err.find(e2e::kLabPassword) == std::string::npos);
}

TEST_CASE("provision: eight boards in one run, each with its own identity", "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(8, "esp32s3");
  std::vector<std::string> ports;
  for (const auto& d : sim.devices()) ports.push_back(d.port);
  auto result = run_process(e2e::provision_argv(&ca, ledger_path(dir), ports, {"--redact"}), "", 180s);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto out = e2e::records(result);
  REQUIRE(out.size() == 8);
  std::set<std::string> macs, uuids;
  for (const auto& r : out) {
    CHECK(r["ok"] == true);
    CHECK(r["psk"] == "***");
    macs.insert(r["mac"].get<std::string>());
    uuids.insert(r["uuid"].get<std::string>());
  }
  CHECK(macs.size() == 8);
  CHECK(uuids.size() == 8);
  CHECK(ca.list().size() == 8);
  CHECK(result.err.find("provisioned 8 of 8") != std::string::npos);
}

TEST_CASE("provision: with the CA down the run is refused before any board is touched", "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  const std::string url = ca.url(), bundle = ca.ca_cert();
  ca.stop();
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto argv = e2e::provision_argv(nullptr, ledger_path(dir), {board.port},
                                  {"--ca-url", url, "--ca-bundle", bundle, "--ca-cert", bundle, "--token-file",
                                   ca.token_file(), "--ca-retries", "1", "--ca-timeout", "5"});
  auto first = run_process(argv, "", 120s);
  CHECK(first.exit_code == provision::exit_code_of(provision::ErrorCode::ca_unreachable));
  CHECK(first.err.find("pre-flight") != std::string::npos);
  CHECK(first.err.find("no board was touched") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(ledger_path(dir)));
  CHECK_FALSE(e2e::flashed_credentials(board.flash).contains("uuid"));

  ca.start();
  auto second = run_process(argv, "", 120s);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(ca.list().size() == 1);
}

TEST_CASE("provision: a registration refused at ca-register leaves the identity in the ledger, the re-run resumes "
          "with it",
          "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  const auto wrong_token = dir / "wrong-token";
  {
    std::ofstream out(wrong_token);
    out << "not-the-token-0123456789\n";
  }
  auto argv_with = [&](const std::string& token) {
    return e2e::provision_argv(nullptr, ledger_path(dir), {board.port},
                               {"--ca-url", ca.url(), "--ca-bundle", ca.ca_cert(), "--ca-cert", ca.ca_cert(),
                                "--token-file", token});
  };
  // The CA answers its health check (no token needed) but refuses the registration.
  auto first = run_process(argv_with(wrong_token.string()), "", 120s);
  CHECK(first.exit_code == provision::exit_code_of(provision::ErrorCode::ca_unauthorized));
  auto failed = e2e::records(first).at(0);
  CHECK(failed["failed_step"] == "ca-register");
  const std::string psk = failed["psk"];

  sim.control("download 0");  // the board is still in the loader on real rigs; here the control puts it back
  auto second = run_process(argv_with(ca.token_file()), "", 120s);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  auto done = e2e::records(second).at(0);
  CHECK(done["psk"] == psk);
  CHECK(done["uuid"] == failed["uuid"]);
  CHECK(done["resumed"] == true);
  CHECK(ca.list().size() == 1);
  CHECK(e2e::flashed_credentials(board.flash)["psk"] == psk);
}

TEST_CASE("provision: a board that resets in the middle of the flash write is finished by the re-run",
          "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  // The reset comes once, 30 KiB into the session: inside the plain credentials write. The partition holds old
  // bytes in every sector, so all 16 sectors are written (a fresh board's erased sectors would be skipped).
  SimRun sim(1, "esp32c3", {"--fault-reset-after", "30000"});
  const auto& board = sim.devices()[0];
  {
    std::fstream flash(board.flash, std::ios::in | std::ios::out | std::ios::binary);
    flash.seekp(0x3F0000);
    const std::string old_bytes(0x10000, '\x5A');
    flash.write(old_bytes.data(), static_cast<std::streamsize>(old_bytes.size()));
  }
  auto argv = e2e::provision_argv(&ca, ledger_path(dir), {board.port}, {"--no-compress"});
  auto first = run_process(argv, "", 120s);
  REQUIRE(first.exit_code != 0);
  auto failed = e2e::records(first).at(0);
  CHECK(failed["failed_step"] == "flash");
  auto second = run_process(argv, "", 120s);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  auto done = e2e::records(second).at(0);
  CHECK(done["psk"] == failed["psk"]);
  CHECK(done["certificate"] == failed["certificate"]);
  CHECK(ca.list().size() == 1);
  CHECK(e2e::flashed_credentials(board.flash)["uuid"] == done["uuid"]);
}

TEST_CASE("provision: a wrong WiFi password fails with its exit code, and the corrected re-run keeps the identity",
          "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto first = run_process(
      e2e::provision_argv(&ca, ledger_path(dir), {board.port}, {"--ssid", e2e::kLabSsid, "--password", "wrong-pass"}),
      "", 120s);
  CHECK(first.exit_code == provision::exit_code_of(provision::ErrorCode::wifi_wrong_password));
  auto failed = e2e::records(first).at(0);
  CHECK(failed["failed_step"] == "wifi");
  auto second = run_process(e2e::provision_argv(&ca, ledger_path(dir), {board.port}), "", 120s);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  auto done = e2e::records(second).at(0);
  CHECK(done["psk"] == failed["psk"]);
  CHECK(ca.list().size() == 1);
}

TEST_CASE("provision: kill -9 at random moments, then a full run: ledger, CA and board agree", "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3", {"--baud-pacing", "on"});
  const auto& board = sim.devices()[0];
  auto argv = e2e::provision_argv(&ca, ledger_path(dir), {board.port});
  std::mt19937 rng(20261201);
  std::uniform_int_distribution<int> delay_ms(50, 2500);
  for (int round = 0; round < 6; ++round) {
    test_support::BackgroundProcess run(argv);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    run.kill_hard();
  }
  auto final_run = run_process(argv, "", 120s);
  INFO(final_run.err);
  REQUIRE(final_run.exit_code == 0);
  auto done = e2e::records(final_run).at(0);
  provision::Ledger ledger(ledger_path(dir));
  auto entry = ledger.find(board.mac);
  REQUIRE(entry);
  CHECK(entry->status == "done");
  CHECK(entry->record["psk"] == done["psk"]);
  auto registered = ca.list();
  REQUIRE(registered.size() == 1);
  CHECK(registered[0]["uuid"] == done["uuid"]);
  auto flashed = e2e::flashed_credentials(board.flash);
  CHECK(flashed["uuid"] == done["uuid"]);
  CHECK(flashed["psk"] == done["psk"]);
}

TEST_CASE("provision: station mode provisions each new board on the port until SIGTERM", "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto argv = e2e::provision_argv(&ca, ledger_path(dir), {board.port}, {"--loop"});
  test_support::BackgroundProcess station(argv);
  auto first = json::parse(station.read_line(60s));
  CHECK(first["ok"] == true);
  CHECK(first["mac"] == board.mac);
  auto swapped = json::parse(sim.control("swap 0"));
  auto second = json::parse(station.read_line(60s));
  CHECK(second["ok"] == true);
  CHECK(second["mac"] == swapped["mac"]);
  CHECK(second["uuid"] != first["uuid"]);
  ::kill(station.pid(), SIGTERM);
  int status = station.wait_exit(20s);
  CHECK(status == 0);  // stopped while waiting for the next board: every board it started succeeded
  CHECK(ca.list().size() == 2);
}

TEST_CASE("provision: --wifi-only changes the network and keeps the credentials", "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto first = run_process(e2e::provision_argv(&ca, ledger_path(dir), {board.port}), "", 120s);
  REQUIRE(first.exit_code == 0);
  auto provisioned = e2e::records(first).at(0);
  auto change = run_process(e2e::provision_argv(nullptr, ledger_path(dir), {board.port},
                                                {"--wifi-only", "--ssid", "open lobby", "--open"}),
                            "", 120s);
  INFO(change.err);
  REQUIRE(change.exit_code == 0);
  auto changed = e2e::records(change).at(0);
  CHECK(changed["wifi_ssid"] == "open lobby");
  CHECK(changed["uuid"] == provisioned["uuid"]);
  CHECK(e2e::flashed_credentials(board.flash)["psk"] == provisioned["psk"]);
}

TEST_CASE("provision: the legacy tool's partition at 0xA20000 works when the firmware's table says so",
          "[e2e][provision]") {
  TempDir dir;
  SimRun sim(1, "esp32c3", {"--prov-offset", "0xA20000"});
  const auto& board = sim.devices()[0];
  auto result = run_process(e2e::provision_argv(nullptr, ledger_path(dir), {board.port},
                                                {"--nvs-offset", "0xA20000", "--nvs-size", "0x10000"}),
                            "", 120s);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto r = e2e::records(result).at(0);
  CHECK(r["nvs_offset"] == "0xA20000");
  CHECK(e2e::flashed_credentials(board.flash, 0xA20000)["uuid"] == r["uuid"]);
}

TEST_CASE("provision: bad flags are refused before any board is touched", "[e2e][provision]") {
  TempDir dir;
  auto espprov = test_support::bin_path("espprov").string();
  auto ns = run_process({espprov, "provision", "--port", "/dev/null", "--no-wifi", "--no-ca", "--nvs-namespace",
                         "deviceprovisioning", "--ledger", ledger_path(dir)});
  CHECK(ns.exit_code == provision::exit_code_of(provision::ErrorCode::nvs_limit));
  CHECK(ns.err.find("15") != std::string::npos);
  auto http = run_process({espprov, "provision", "--port", "/dev/null", "--no-wifi", "--ca-url",
                           "http://127.0.0.1:9", "--trust-ca-response", "--ledger", ledger_path(dir)});
  CHECK(http.exit_code == provision::exit_code_of(provision::ErrorCode::ca_insecure));
  auto no_anchor = run_process({espprov, "provision", "--port", "/dev/null", "--no-wifi", "--ca-url",
                                "https://127.0.0.1:9", "--ledger", ledger_path(dir)});
  // the station must say which CA certificate it trusts
  CHECK(no_anchor.exit_code == provision::exit_code_of(provision::ErrorCode::usage));
  CHECK(no_anchor.err.find("--ca-cert") != std::string::npos);
  auto pass = run_process({espprov, "provision", "--port", "/dev/null", "--no-ca", "--ssid", "x", "--password", "short",
                           "--ledger", ledger_path(dir)});
  CHECK(pass.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  CHECK(pass.err.find("short") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "ledger.db"));
}

TEST_CASE("provision: SIGTERM stops at the next step boundary, the ledger says where, the re-run finishes",
          "[e2e][provision]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3", {"--baud-pacing", "on", "--flash-timing", "on"});
  const auto& board = sim.devices()[0];
  auto argv = e2e::provision_argv(&ca, ledger_path(dir), {board.port}, {"-b", "115200"});
  {
    test_support::BackgroundProcess run(argv);
    // The signal goes once the ledger says nvs-build is done, i.e. while the flash write (64 KiB compressed at
    // 115200 baud with flash timing: seconds) is under way; not after a guessed delay.
    REQUIRE(ledger_reaches_step(ledger_path(dir), board.mac, "nvs-build", 60s));
    ::kill(run.pid(), SIGTERM);
    auto line = json::parse(run.read_line(60s));
    CHECK(line["error"]["code"] == "interrupted");
    CHECK(line["failed_step"] == "boot");  // the flash write in progress finished; the run stopped after it
    CHECK(run.wait_exit(20s) == provision::exit_code_of(provision::ErrorCode::interrupted));
  }
  provision::Ledger ledger(ledger_path(dir));
  auto entry = ledger.find(board.mac);
  REQUIRE(entry);
  CHECK(entry->status == "failed");
  CHECK(entry->error_code == "interrupted");
  CHECK(entry->step == "flash");  // the signal arrived during flash: the last step completed is flash
  auto again = run_process(argv, "", 120s);
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(e2e::records(again).at(0)["psk"] == entry->record["psk"]);
}

TEST_CASE("provision: --ports takes a glob, and one board's failure does not stop the others", "[e2e][provision]") {
  TempDir dir;
  SimRun sim(3, "esp32c6");
  for (std::size_t i = 0; i < sim.devices().size(); ++i) {
    std::filesystem::create_symlink(sim.devices()[i].port, dir / ("ttyBOARD" + std::to_string(i)));
  }
  std::filesystem::create_symlink("/dev/null-espprov-missing", dir / "ttyBOARD9");  // a port that is gone
  auto result = run_process(e2e::provision_argv(nullptr, ledger_path(dir), {},
                                                {"--ports", (dir / "ttyBOARD*").string(), "--jobs", "2"}),
                            "", 120s);
  INFO(result.err);
  CHECK(result.exit_code == provision::exit_code_of(provision::ErrorCode::partial_failure));
  auto out = e2e::records(result);
  REQUIRE(out.size() == 4);
  int ok = 0;
  for (const auto& r : out) {
    if (r["ok"] == true) {
      ++ok;
    } else {
      CHECK(r["error"]["code"] == "port_unavailable");
      CHECK(r["port"].get<std::string>().find("ttyBOARD9") != std::string::npos);
    }
  }
  CHECK(ok == 3);
  CHECK(result.err.find("provisioned 3 of 4") != std::string::npos);
}

}  // namespace provision_test
