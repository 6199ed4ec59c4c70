// Step pipes that cannot flash the wrong board: the record is read before the file it describes, a file or a board
// that differs from the record is refused, and a CA registration is kept before it is printed. Run as a user runs
// them: a shell pipe of espprov processes, simulated boards, the reference CA over HTTPS on loopback.
#include <catch2/catch.hpp>

#include <fstream>

#include "e2e/e2e_support.hpp"
#include "provision/ledger.hpp"
#include "provision/record.hpp"

namespace pipe_integrity_test {

using e2e::CaRun;
using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

std::string espprov_bin() { return test_support::bin_path("espprov").string(); }

test_support::ProcessResult shell(const std::string& command) {
  return run_process({"/bin/sh", "-c", command}, "", 120s);
}

// The pipe `espprov flash --help` shows, from reading the MAC to flashing the credentials.
std::string full_pipe(const CaRun& ca, const std::string& port, const std::string& ledger, const std::string& out) {
  const std::string e = espprov_bin();
  return e + " mac --port " + port + " --after no-reset --progress none" +  //
         " | " + e + " uuid --in -" +                                        //
         " | " + e + " psk --in -" +                                         //
         " | " + e + " ca-register --in - --ca-url " + ca.url() + " --ca-bundle " + ca.ca_cert() + " --ca-cert " +
         ca.ca_cert() + " --token-file " + ca.token_file() + " --ledger " + ledger + " --progress none" +  //
         " | " + e + " nvs-build --in - --out " + out +                                                     //
         " | " + e + " flash --in - --port " + port + " --after no-reset --progress none --offset 0x3F0000 " + out;
}

// An unregistered credentials record and its image, built without a board or a CA.
json build_offline(const TempDir& dir, const std::string& mac, const std::string& out) {
  const std::string e = espprov_bin();
  auto r = shell(e + " mac --mac " + mac + " | " + e + " uuid --in - | " + e + " psk --in - | " + e +
                 " nvs-build --in - --out " + out + " > " + (dir / (mac + ".json")).string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(dir / (mac + ".json"));
  return json::parse(in);
}

}  // namespace

TEST_CASE("pipe: flash waits for nvs-build and writes this board's credentials, not a file left by another board",
          "[cli][pipe_integrity][e2e]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(2, "esp32c3");
  const auto& first = sim.devices().at(0);
  const auto& second = sim.devices().at(1);
  const std::string ledger = (dir / "ledger.db").string();
  const std::string creds = (dir / "creds.bin").string();

  auto a = shell(full_pipe(ca, first.port, ledger, creds));
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  // creds.bin now holds the first board's credentials; the second board's pipe must not flash them.
  auto b = shell(full_pipe(ca, second.port, ledger, creds));
  INFO(b.err);
  REQUIRE(b.exit_code == 0);
  auto record = json::parse(b.out);
  CHECK(record["ok"] == true);
  CHECK(record["mac"] == second.mac);
  CHECK(record["md5"] == record["nvs_md5"]);
  auto flashed = e2e::flashed_credentials(second.flash);
  CHECK(flashed["uuid"] == record["uuid"]);
  CHECK(flashed["psk"] == record["psk"]);
  CHECK(flashed["uuid"] != e2e::flashed_credentials(first.flash)["uuid"]);
}

TEST_CASE("flash refuses a file whose MD5 differs from the record's nvs_md5, before opening the port",
          "[cli][pipe_integrity]") {
  TempDir dir;
  const std::string built = (dir / "built.bin").string();
  auto record = build_offline(dir, "A0B1C2D3E4F5", built);
  // Another board's image under the name the record expects.
  build_offline(dir, "A0B1C2D3E4F6", (dir / "other.bin").string());
  std::filesystem::copy_file(dir / "other.bin", built, std::filesystem::copy_options::overwrite_existing);
  auto r = run_process({espprov_bin(), "flash", "--in", (dir / "A0B1C2D3E4F5.json").string(), "--port",
                        "/dev/null-espprov-none", "--offset", "0x3F0000", built, "--progress", "none"});
  INFO(r.err);
  CHECK(r.exit_code == provision::exit_code_of(provision::ErrorCode::record_mismatch));
  auto error = json::parse(r.out);
  CHECK(error["error"]["code"] == "record_mismatch");
  CHECK(error["error"]["field"] == "nvs_md5");
  CHECK(r.err.find(record["nvs_md5"].get<std::string>()) != std::string::npos);
  CHECK(r.err.find("nothing was written") != std::string::npos);
}

TEST_CASE("flash refuses a board whose MAC differs from the record's and writes nothing to it",
          "[cli][pipe_integrity]") {
  TempDir dir;
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  const std::string image = (dir / "creds.bin").string();
  build_offline(dir, "A0B1C2D3E4F5", image);
  REQUIRE(board.mac != "A0:B1:C2:D3:E4:F5");
  auto r = run_process({espprov_bin(), "flash", "--in", (dir / "A0B1C2D3E4F5.json").string(), "--port", board.port,
                        "--before", "no-reset", "--after", "no-reset", "--offset", "0x3F0000", image, "--progress",
                        "none"});
  INFO(r.err);
  CHECK(r.exit_code == provision::exit_code_of(provision::ErrorCode::wrong_board));
  CHECK(json::parse(r.out)["error"]["code"] == "wrong_board");
  CHECK(r.err.find(board.mac) != std::string::npos);
  CHECK_FALSE(e2e::flashed_credentials(board.flash).contains("uuid"));
}

TEST_CASE("ca-register keeps the registration in the ledger before printing, the 409 of a retry says where the PSK is",
          "[cli][pipe_integrity][e2e]") {
  TempDir dir;
  CaRun ca(dir);
  const std::string ledger = (dir / "ledger.db").string();
  const std::string e = espprov_bin();
  const std::string registration = e + " mac --mac A0B1C2D3E4F5 | " + e + " uuid --in - | " + e + " psk --in - | " +
                                   e + " ca-register --in - --chip esp32c3 --ca-url " + ca.url() + " --ca-bundle " +
                                   ca.ca_cert() + " --ca-cert " + ca.ca_cert() + " --token-file " + ca.token_file() +
                                   " --ledger " + ledger + " --progress none";
  // The reader dies before reading anything (as a failing nvs-build | flash did).
  auto broken = shell(registration + " | true");
  INFO(broken.err);
  REQUIRE(ca.list().size() == 1);
  std::string kept_psk;
  {
    provision::Ledger kept(ledger);
    auto entry = kept.find("A0:B1:C2:D3:E4:F5");
    REQUIRE(entry);
    CHECK(entry->step == "ca-register");
    kept_psk = entry->record.value("psk", "");
    CHECK(kept_psk.size() == 64);
    CHECK(entry->record.contains("certificate"));
  }
  // A retry makes a new PSK: the CA answers 409, and the message names the ledger that holds the first one.
  auto retry = shell(registration);
  CHECK(retry.exit_code == provision::exit_code_of(provision::ErrorCode::ca_conflict));
  CHECK(retry.err.find(ledger) != std::string::npos);
  CHECK(retry.err.find("espprov ledger show A0:B1:C2:D3:E4:F5") != std::string::npos);
  CHECK(retry.err.find(kept_psk) == std::string::npos);
  provision::Ledger after(ledger);
  CHECK(after.find("A0:B1:C2:D3:E4:F5")->record.value("psk", "") == kept_psk);
}

TEST_CASE("ca-register --save keeps the record 0600, --no-ledger without --save is refused before the CA is asked",
          "[cli][pipe_integrity][e2e]") {
  TempDir dir;
  CaRun ca(dir);
  const std::string e = espprov_bin();
  const std::string head = e + " mac --mac A0B1C2D3E4F7 | " + e + " uuid --in - | " + e + " psk --in - | " + e +
                           " ca-register --in - --chip esp32c3 --ca-url " + ca.url() + " --ca-bundle " + ca.ca_cert() +
                           " --ca-cert " + ca.ca_cert() + " --token-file " + ca.token_file() + " --progress none";
  auto refused = shell(head + " --no-ledger");
  CHECK(refused.exit_code == provision::exit_code_of(provision::ErrorCode::usage));
  CHECK(ca.list().empty());

  const auto saved = dir / "registered.json";
  auto ok = shell(head + " --no-ledger --save " + saved.string());
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  std::ifstream in(saved);
  auto record = json::parse(in);
  CHECK(record["psk"] == json::parse(ok.out)["psk"]);
  CHECK(record.contains("certificate"));
  CHECK((std::filesystem::status(saved).permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);
  CHECK_FALSE(std::filesystem::exists(dir / "ledger.db"));
}

}  // namespace pipe_integrity_test
