// Safe defaults of the CLI: a CA (or an explicit --no-ca) for provision, secrets printed only when asked, and
// everything that can be checked checked before a board is touched; read-only ledger commands never create one.
#include <catch2/catch.hpp>

#include <fstream>

#include "e2e/e2e_support.hpp"
#include "provision/ledger.hpp"

namespace safe_defaults_test {

using e2e::CaRun;
using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

std::string espprov_bin() { return test_support::bin_path("espprov").string(); }

int exit_of(provision::ErrorCode code) { return provision::exit_code_of(code); }

}  // namespace

TEST_CASE("provision without --ca-url or --no-ca is a usage error naming both, before any board is touched",
          "[cli][safe_defaults]") {
  TempDir dir;
  auto r = run_process({espprov_bin(), "provision", "--port", "/dev/null-espprov-none", "--no-wifi", "--ledger",
                        (dir / "ledger.db").string()});
  CHECK(r.exit_code == exit_of(provision::ErrorCode::usage));
  CHECK(json::parse(r.out)["error"]["field"] == "ca_url");
  CHECK(r.err.find("--ca-url") != std::string::npos);
  CHECK(r.err.find("--no-ca") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "ledger.db"));

  auto both = run_process({espprov_bin(), "provision", "--port", "/dev/null-espprov-none", "--no-wifi", "--no-ca",
                           "--ca-url", "https://127.0.0.1:9", "--trust-ca-response", "--ledger",
                           (dir / "ledger.db").string()});
  CHECK(both.exit_code == exit_of(provision::ErrorCode::usage));
}

TEST_CASE("provision refuses a port given twice, and a --ledger whose folder does not exist, before any board",
          "[cli][safe_defaults]") {
  TempDir dir;
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  std::filesystem::create_symlink(board.port, dir / "ttyALIAS");
  auto twice = run_process({espprov_bin(), "provision", "--port", board.port, "--port", (dir / "ttyALIAS").string(),
                            "--no-wifi", "--no-ca", "--ledger", (dir / "ledger.db").string()});
  CHECK(twice.exit_code == exit_of(provision::ErrorCode::usage));
  CHECK(json::parse(twice.out)["error"]["field"] == "port");
  auto typo = run_process({espprov_bin(), "provision", "--port", board.port, "--no-wifi", "--no-ca", "--ledger",
                           (dir / "no-such-folder" / "ledger.db").string()});
  CHECK(typo.exit_code == exit_of(provision::ErrorCode::io));
  CHECK(json::parse(typo.out)["error"]["field"] == "ledger");
  CHECK_FALSE(std::filesystem::exists(dir / "no-such-folder"));
  CHECK_FALSE(std::filesystem::exists(dir / "ledger.db"));
  CHECK_FALSE(e2e::flashed_credentials(board.flash).contains("uuid"));
}

TEST_CASE("provision prints no secret unless --show-secrets, --save and the ledger keep them", "[cli][safe_defaults]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  const std::string ledger = (dir / "ledger.db").string();
  const auto saved = dir / "saved.ndjson";
  std::vector<std::string> argv{espprov_bin(), "provision", "--port", board.port, "--ledger", ledger, "--progress",
                                "none", "--ca-url", ca.url(), "--ca-bundle", ca.ca_cert(), "--ca-cert", ca.ca_cert(),
                                "--token-file", ca.token_file(), "--ssid", e2e::kLabSsid, "--password-file",
                                (dir / "wifi.txt").string(), "--save", saved.string()};
  {
    std::ofstream out(dir / "wifi.txt");
    out << e2e::kLabPassword << "\n";
  }
  auto json_run = run_process(argv, "", 120s);
  INFO(json_run.err);
  REQUIRE(json_run.exit_code == 0);
  auto r = e2e::records(json_run).at(0);
  CHECK(r["psk"] == "***");
  CHECK(r["device_key"] == "***");
  CHECK(json_run.out.find("PRIVATE KEY") == std::string::npos);
  std::ifstream in(saved);
  std::string line;
  std::getline(in, line);
  auto kept = json::parse(line);
  CHECK(kept["psk"].get<std::string>().size() == 64);
  CHECK(e2e::flashed_credentials(board.flash)["psk"] == kept["psk"]);
  provision::Ledger book(ledger);
  CHECK(book.find(board.mac)->record["psk"] == kept["psk"]);

  // The station's CSV: no psk in clear unless asked.
  sim.control("download 0");
  auto csv_args = argv;
  csv_args.insert(csv_args.end(), {"--format", "csv"});
  auto csv = run_process(csv_args, "", 120s);
  INFO(csv.err);
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.find(kept["psk"].get<std::string>()) == std::string::npos);
  sim.control("download 0");
  csv_args.push_back("--show-secrets");
  auto shown = run_process(csv_args, "", 120s);
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find(kept["psk"].get<std::string>()) != std::string::npos);
}

TEST_CASE("csv and text output of a step hide secrets unless --show-secrets, JSON between steps keeps them",
          "[cli][safe_defaults]") {
  const std::string psk = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  auto json_out = run_process({"/usr/bin/env", "ESPPROV_PSK=" + psk, espprov_bin(), "psk"});
  CHECK(json::parse(json_out.out)["psk"] == psk);
  for (const char* format : {"csv", "text"}) {
    auto hidden = run_process({"/usr/bin/env", "ESPPROV_PSK=" + psk, espprov_bin(), "psk", "--format", format});
    CHECK(hidden.exit_code == 0);
    CHECK(hidden.out.find(psk) == std::string::npos);
    CHECK(hidden.out.find("***") != std::string::npos);
    auto shown =
        run_process({"/usr/bin/env", "ESPPROV_PSK=" + psk, espprov_bin(), "psk", "--format", format, "--show-secrets"});
    CHECK(shown.out.find(psk) != std::string::npos);
  }
}

TEST_CASE("ledger list, show, export and forget never create a ledger", "[cli][safe_defaults]") {
  TempDir dir;
  const std::string typo = (dir / "typo.db").string();
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"ledger", "list", "--ledger", typo},
           {"ledger", "show", "A0:B1:C2:D3:E4:F5", "--ledger", typo},
           {"ledger", "export", "--ledger", typo},
           {"ledger", "forget", "A0:B1:C2:D3:E4:F5", "--ledger", typo}}) {
    args.insert(args.begin(), espprov_bin());
    auto r = run_process(args);
    INFO(args[2]);
    CHECK(r.exit_code == exit_of(provision::ErrorCode::ledger));
    CHECK(r.err.find(typo) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(typo));
  }
}

}  // namespace safe_defaults_test
