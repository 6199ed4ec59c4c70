#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "provision/ledger.hpp"
#include "support/process.hpp"

namespace ledger_test {

using namespace provision;
using test_support::TempDir;

TEST_CASE("a new ledger file is created mode 0600", "[workflow][ledger]") {
  TempDir dir;
  Ledger ledger(dir / "sub" / "ledger.db");
  struct stat st {};
  REQUIRE(::stat((dir / "sub" / "ledger.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("steps persist across reopening and keep the last record", "[workflow][ledger]") {
  TempDir dir;
  const std::string mac = "A0:B1:C2:D3:E4:F5";
  {
    Ledger ledger(dir / "l.db");
    auto entry = ledger.begin(mac, "/dev/ttyUSB0");
    CHECK(entry.attempts == 1);
    Record r = Record::object();
    r["mac"] = mac;
    r["uuid"] = "04e4822c-719e-45b0-b360-7e2819faca53";
    r["psk"] = std::string(64, 'a');
    ledger.complete_step(mac, "psk", r);
    ledger.fail_step(mac, "ca-register", Error(ErrorCode::ca_unreachable, "connection refused"));
  }
  Ledger again(dir / "l.db");
  auto entry = again.find(mac);
  REQUIRE(entry);
  CHECK(entry->step == "psk");
  CHECK(entry->status == "failed");
  CHECK(entry->error_code == "ca_unreachable");
  CHECK(entry->record["psk"] == std::string(64, 'a'));
  CHECK(entry->uuid == "04e4822c-719e-45b0-b360-7e2819faca53");
  auto second = again.begin(mac, "/dev/ttyUSB0");
  CHECK(second.attempts == 2);
  CHECK(second.status == "in_progress");
  CHECK(second.record["psk"] == std::string(64, 'a'));
  auto events = again.events(mac);
  REQUIRE(events.size() == 4);
  CHECK(events[1]["step"] == "psk");
  CHECK(events[2]["state"] == "failed");
}

TEST_CASE("export rows leave secrets out unless asked", "[workflow][ledger]") {
  TempDir dir;
  Ledger ledger(dir / "l.db");
  ledger.begin("A0:B1:C2:D3:E4:F5", "");
  Record r = Record::object();
  r["psk"] = "secret";
  r["device_key"] = "-----BEGIN PRIVATE KEY-----";
  r["wifi_ssid"] = "Factory";
  ledger.finish("A0:B1:C2:D3:E4:F5", r);
  auto entry = *ledger.find("A0:B1:C2:D3:E4:F5");
  CHECK(entry.status == "done");
  auto row = ledger_row(entry, false);
  CHECK_FALSE(row.contains("psk"));
  CHECK_FALSE(row.contains("device_key"));
  CHECK(row["wifi_ssid"] == "Factory");
  CHECK(ledger_row(entry, true)["psk"] == "secret");
}

TEST_CASE("a file that is not a database is refused with a ledger error", "[workflow][ledger]") {
  TempDir dir;
  {
    FILE* f = fopen((dir / "bad.db").c_str(), "w");
    fputs("this is not sqlite, just text that is long enough to be read as a header.....", f);
    fclose(f);
  }
  try {
    Ledger ledger(dir / "bad.db");
    FAIL("opened a text file as a ledger");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::ledger);
  }
}

TEST_CASE("forget removes one device and its history, and leaves the others", "[workflow][ledger]") {
  TempDir dir;
  Ledger ledger(dir / "l.db");
  ledger.begin("A0:B1:C2:D3:E4:F5", "p0");
  ledger.begin("A0:B1:C2:D3:E4:F6", "p1");
  ledger.forget("A0:B1:C2:D3:E4:F5");
  CHECK_FALSE(ledger.find("A0:B1:C2:D3:E4:F5"));
  CHECK(ledger.events("A0:B1:C2:D3:E4:F5").empty());
  CHECK(ledger.find("A0:B1:C2:D3:E4:F6"));
  CHECK(ledger.list().size() == 1);
}

TEST_CASE("16 processes opening a new ledger at the same moment all succeed", "[workflow][ledger][concurrency]") {
  // Each round is a fresh file: the race is in creating the schema and switching to WAL. Forked children, because
  // the commands that read a ledger never create one.
  for (int round = 0; round < 4; ++round) {
    TempDir dir;
    const auto path = dir / "shared.db";
    std::vector<pid_t> children;
    for (int i = 0; i < 16; ++i) {
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        int code = 0;
        try {
          Ledger ledger(path);
          ledger.list();
        } catch (...) {
          code = 1;
        }
        ::_exit(code);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      REQUIRE(::waitpid(pid, &status, 0) == pid);
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
    }
  }
}

}  // namespace ledger_test
