// The ledger shared by stations on PostgreSQL: one station holds a board at a time, a killed station's board
// resumes elsewhere with the same identity, secrets stay out of what a report reader can select, and the
// `espprov ledger` commands work on it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

#include "core/postgres.hpp"
#include "e2e/e2e_support.hpp"
#include "provision/identity.hpp"
#include "provision/ledger.hpp"
#include "support/postgres.hpp"

namespace postgres_ledger_test {

using namespace provision;

namespace {

const std::string kMac = "A0:B1:C2:00:00:01";
const std::string kUuid = "04e4822c-719e-45b0-b360-7e2819faca53";

Record identity_record(const std::string& mac) {
  Record r = Record::object();
  r["mac"] = mac;
  r["chip"] = "esp32c3";
  r["uuid"] = kUuid;
  r["psk"] = std::string(64, 'b');
  r["device_key"] = "-----BEGIN PRIVATE KEY-----";
  return r;
}

ErrorCode code_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return ErrorCode::internal;
}

test_support::ProcessResult espprov(std::vector<std::string> args) {
  args.insert(args.begin(), test_support::bin_path("espprov").string());
  return test_support::run_process(args);
}

}  // namespace

TEST_CASE(
    "shared ledger: a board another station holds is ledger_busy naming it, after that station is "
    "SIGKILLed the board resumes on another station with the same identity",
    "[workflow][ledger][postgres]") {
  const std::string url = test_support::shared_postgres().create_database();
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t station_a = ::fork();
  if (station_a == 0) {  // station A: takes the board, records its identity, then hangs mid-way
    ::close(ready[0]);
    try {
      Ledger ledger(url, "station-a");
      ledger.begin(kMac, "/dev/ttyUSB0");
      ledger.complete_step(kMac, "identity", identity_record(kMac));
      (void)!::write(ready[1], "1", 1);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(3);
    }
  }
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);

  Ledger station_b(url, "station-b");
  std::string message;
  CHECK(code_of([&] { station_b.begin(kMac, "/dev/ttyACM0"); }, &message) == ErrorCode::ledger_busy);
  CHECK(message.find("station-a") != std::string::npos);
  CHECK(exit_code_of(ErrorCode::ledger_busy) == 62);
  // Refused, station B leaves the board's row alone.
  station_b.fail_step(kMac, "mac", Error(ErrorCode::ledger_busy, message));
  CHECK(station_b.find(kMac)->status == "in_progress");

  ::kill(station_a, SIGKILL);
  int status = 0;
  ::waitpid(station_a, &status, 0);
  // The database ends the killed station's session (and its hold) as soon as it sees the connection closed.
  std::optional<LedgerEntry> resumed;
  for (int i = 0; i < 100 && !resumed; ++i) {
    try {
      resumed = station_b.begin(kMac, "/dev/ttyACM0");
    } catch (const Error& e) {
      REQUIRE(e.code() == ErrorCode::ledger_busy);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  REQUIRE(resumed);
  CHECK(resumed->attempts == 2);
  CHECK(resumed->record["uuid"] == kUuid);
  CHECK(resumed->record["psk"] == std::string(64, 'b'));
  station_b.complete_step(kMac, "flash", resumed->record);
  station_b.finish(kMac, resumed->record);
  auto events = station_b.events(kMac);
  REQUIRE(events.size() == 5);  // begin, identity (A); begin, flash, verified (B)
  CHECK(events[1]["station"] == "station-a");
  CHECK(events[1]["step"] == "identity");
  CHECK(events[4]["station"] == "station-b");
  CHECK(station_b.find(kMac)->status == "done");
}

TEST_CASE("shared ledger: a report reader's role selects devices and events but not the secrets",
          "[workflow][ledger][postgres]") {
  auto& server = test_support::shared_postgres();
  const std::string url = server.create_database();
  {
    Ledger station(url, "station-a");
    station.begin(kMac, "");
    station.complete_step(kMac, "identity", identity_record(kMac));
    CHECK(station.find(kMac)->record["psk"] == std::string(64, 'b'));  // the station reads its secrets back
  }
  postgres::Connection admin(url, "test");
  admin.exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reporter') THEN "
      "CREATE ROLE reporter LOGIN; END IF; END $$");
  admin.exec("GRANT SELECT ON ledger_devices, ledger_events TO reporter");
  const std::string as_reporter =
      "postgresql://reporter@127.0.0.1:" + std::to_string(server.port()) + url.substr(url.rfind('/'));
  postgres::Connection reporter(as_reporter, "test");
  auto record = reporter.exec("SELECT record FROM ledger_devices WHERE mac = $1", {kMac}).text(0, 0);
  CHECK(record.find(kUuid) != std::string::npos);
  CHECK(record.find("psk") == std::string::npos);
  CHECK(record.find("PRIVATE KEY") == std::string::npos);
  try {
    reporter.exec("SELECT secrets FROM ledger_secrets");
    FAIL("the reporter read ledger_secrets");
  } catch (const postgres::Failure& e) {
    CHECK(e.sqlstate() == "42501");  // insufficient_privilege
  }
}

TEST_CASE("shared ledger: espprov ledger list, show, export, report and forget work on PostgreSQL",
          "[workflow][ledger][postgres]") {
  const std::string url = test_support::shared_postgres().create_database();
  {
    Ledger a(url, "line-1"), b(url, "line-2");
    for (int n = 0; n < 4; ++n) {
      Ledger& station = n % 2 ? b : a;
      const std::string mac = "A0:B1:C2:00:01:0" + std::to_string(n);
      station.begin(mac, "");
      station.complete_step(mac, "identity", identity_record(mac));
      if (n == 3) {
        station.fail_step(mac, "flash", Error(ErrorCode::flash_verify, "md5 differs"));
      } else {
        station.finish(mac, identity_record(mac));
      }
    }
  }
  auto list = espprov({"ledger", "list", "--ledger", url});
  INFO(list.err);
  REQUIRE(list.exit_code == 0);
  CHECK(std::count(list.out.begin(), list.out.end(), '\n') == 4);
  auto show = espprov({"ledger", "show", "A0:B1:C2:00:01:03", "--ledger", url});
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("flash_verify") != std::string::npos);
  CHECK(show.out.find("line-2") != std::string::npos);
  CHECK(show.out.find(std::string(64, 'b')) == std::string::npos);
  auto exported = espprov({"ledger", "export", "--ledger", url, "--format", "csv"});
  CHECK(exported.exit_code == 0);
  CHECK(exported.out.find("A0:B1:C2:00:01:02") != std::string::npos);

  auto json = espprov({"ledger", "report", "--since", "2000-01-01", "--format", "json", "--ledger", url});
  INFO(json.err);
  REQUIRE(json.exit_code == 0);
  auto figures = Record::parse(json.out);
  CHECK(figures["boards_started"] == 4);
  CHECK(figures["boards_verified"] == 3);
  CHECK(figures["first_pass_yield"].get<double>() == Approx(0.75));
  CHECK(figures["failures"][0]["error_code"] == "flash_verify");
  // The --help example, with the ledger from the environment.
  auto html =
      test_support::run_process({"/usr/bin/env", "ESPPROV_LEDGER=" + url, test_support::bin_path("espprov").string(),
                                 "ledger", "report", "--since", "2026-12-01", "--format", "html"});
  REQUIRE(html.exit_code == 0);
  CHECK(html.out.rfind("<!DOCTYPE html>", 0) == 0);
  html = espprov({"ledger", "report", "--since", "2000-01-01", "--format", "html", "--ledger", url});
  CHECK(html.out.find("<svg") != std::string::npos);
  CHECK(html.out.find("<script") == std::string::npos);
  CHECK(html.out.find("flash / flash_verify") != std::string::npos);
  CHECK(espprov({"ledger", "report", "--since", "yesterday", "--ledger", url}).exit_code ==
        exit_code_of(ErrorCode::usage));

  auto forget = espprov({"ledger", "forget", "A0:B1:C2:00:01:03", "--ledger", url});
  CHECK(forget.exit_code == 0);
  Ledger check(url, "check");
  CHECK(check.list().size() == 3);
}

TEST_CASE(
    "shared ledger: espprov provision on a board another station holds exits 62 naming that station, and "
    "provisions it once released",
    "[workflow][ledger][postgres]") {
  using namespace std::chrono_literals;
  const std::string url = test_support::shared_postgres().create_database();
  sim_test::SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  const std::string mac = mac_colon(parse_mac(board.mac));
  auto holder = std::make_unique<Ledger>(url, "station-a");
  holder->begin(mac, "");
  auto refused =
      test_support::run_process(e2e::provision_argv(nullptr, url, {board.port}, {"--station", "station-b"}), "", 120s);
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 62);
  CHECK((refused.out + refused.err).find("station-a") != std::string::npos);
  holder.reset();  // station A goes away: its hold ends with its connection
  auto done =
      test_support::run_process(e2e::provision_argv(nullptr, url, {board.port}, {"--station", "station-b"}), "", 120s);
  INFO(done.err);
  CHECK(done.exit_code == 0);
  Ledger check(url, "check");
  auto entry = check.find(mac);
  REQUIRE(entry);
  CHECK(entry->status == "done");
  auto events = check.events(mac);
  CHECK(events.front()["station"] == "station-a");
  CHECK(events.back()["station"] == "station-b");
}

TEST_CASE("shared ledger: a station reconnects after a database restart and keeps the board it holds",
          "[workflow][ledger][postgres]") {
  auto& server = test_support::shared_postgres();
  const std::string url = server.create_database();
  Ledger station(url, "station-a");
  station.begin(kMac, "");
  server.stop();
  CHECK(code_of([&] { station.complete_step(kMac, "identity", identity_record(kMac)); }) ==
        ErrorCode::database_unavailable);
  server.start();
  station.batch([&] { station.complete_step(kMac, "identity", identity_record(kMac)); });
  Ledger other(url, "station-b");
  CHECK(code_of([&] { other.begin(kMac, ""); }) == ErrorCode::ledger_busy);  // the hold was taken again
  station.finish(kMac, identity_record(kMac));
  CHECK(other.find(kMac)->status == "done");
}

}  // namespace postgres_ledger_test
