// espprov wifi / info / pop as a user runs them: the real executable against the simulator in app mode.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/sim_run.hpp"
#include "support/process.hpp"
#include "wifi/wifi_support.hpp"

namespace wifi_cli_test {

using sim_test::SimRun;
using test_support::run_process;

namespace {

test_support::ProcessResult espprov(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), test_support::bin_path("espprov").string());
  return run_process(args, input, std::chrono::seconds(60));
}

}  // namespace

TEST_CASE("espprov wifi: connects from a password file, prints ip and rssi, the trace masks the password", "[wifi][cli][sim]") {
  test_support::TempDir dir;
  SimRun sim(1, "esp32c3", {"--boot", "app", "--aps", wifi_test::write_hostile_aps(dir).string()});
  const auto& port = sim.devices()[0].port;
  const auto& ap = wifi_test::hostile_aps()[1];  // commas, quotes, '=' in both
  { std::ofstream(dir / "pass") << ap.password << "\n"; }
  auto r = espprov({"wifi", "--port", port, "--ssid", ap.ssid, "--password-file", (dir / "pass").string(), "--trace",
                    "--no-reboot"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto record = nlohmann::json::parse(r.out);
  CHECK(record["ok"] == true);
  CHECK(record["wifi_ssid"] == ap.ssid);
  CHECK(record["ip"].get<std::string>().rfind("192.168.4.", 0) == 0);
  CHECK(record["rssi"] == ap.rssi_dbm);
  CHECK(r.err.find(">>") != std::string::npos);  // the trace is there
  CHECK(r.err.find("p@ss") == std::string::npos);
  CHECK(r.out.find("p@ss") == std::string::npos);

  // The same from the environment, with a reboot; then the saved list, info and the PoP.
  auto env = run_process({"/usr/bin/env", "ESPPROV_WIFI_PASSWORD=" + wifi_test::hostile_aps()[2].password,
                          test_support::bin_path("espprov").string(), "wifi", "--port", port, "--ssid",
                          wifi_test::hostile_aps()[2].ssid, "--progress", "plain"});
  INFO(env.err);
  CHECK(env.exit_code == 0);
  CHECK(env.err.find("slash\\pass") == std::string::npos);
  auto list = espprov({"wifi", "list", "--port", port});
  REQUIRE(list.exit_code == 0);
  auto saved = nlohmann::json::parse(list.out)["saved"];
  REQUIRE(saved.size() == 2);
  CHECK(saved[0]["ssid"] == wifi_test::hostile_aps()[2].ssid);
  auto info = espprov({"info", "--port", port});
  REQUIRE(info.exit_code == 0);
  auto device = nlohmann::json::parse(info.out);
  CHECK(device["mac"] == sim.devices()[0].mac);
  CHECK(device["wifi_saved"] == 2);
  auto pop = espprov({"pop", "--port", port, "--redact"});
  REQUIRE(pop.exit_code == 0);
  CHECK(nlohmann::json::parse(pop.out)["pop"] == "***");
  auto plain_pop = espprov({"pop", "--port", port});
  CHECK(nlohmann::json::parse(plain_pop.out)["pop"].get<std::string>().size() == 64);
}

TEST_CASE("espprov wifi: failures exit with their codes and never print the password", "[wifi][cli][sim]") {
  test_support::TempDir dir;
  SimRun sim(1, "esp32c3", {"--boot", "app", "--aps", wifi_test::write_hostile_aps(dir).string()});
  const auto& port = sim.devices()[0].port;
  auto wrong = espprov({"wifi", "--port", port, "--ssid", "espprov-lab", "--password", "Wrong-Secret-77", "--trace"});
  CHECK(wrong.exit_code == provision::exit_code_of(provision::ErrorCode::wifi_wrong_password));
  CHECK(nlohmann::json::parse(wrong.out)["error"]["code"] == "wifi_wrong_password");
  CHECK(wrong.err.find("Wrong-Secret-77") == std::string::npos);
  CHECK(wrong.out.find("Wrong-Secret-77") == std::string::npos);
  auto missing = espprov({"wifi", "--port", port, "--ssid", "nowhere", "--password", "whatever12"});
  CHECK(missing.exit_code == provision::exit_code_of(provision::ErrorCode::wifi_ap_not_found));
  auto slow = espprov({"wifi", "--port", port, "--ssid", "silent-ap", "--password", "nobody answers",
                       "--connect-timeout", "0.8"});
  CHECK(slow.exit_code == provision::exit_code_of(provision::ErrorCode::wifi_timeout));
  auto bad = espprov({"wifi", "--port", "/dev/ttyUSB-espprov-none", "--ssid", "x", "--password", "short"});
  // checked before the (missing) port is opened
  CHECK(bad.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  CHECK(nlohmann::json::parse(bad.out)["error"]["field"] == "password");
  auto none = espprov({"wifi", "--port", port, "--ssid", "x"});
  CHECK(none.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  CHECK(none.err.find("--password-file") != std::string::npos);
}

TEST_CASE("espprov wifi: saved-network subcommands, the ssid from the record, Improv and auto", "[wifi][cli][sim]") {
  test_support::TempDir dir;
  SimRun sim(1, "esp32s3", {"--boot", "app", "--aps", wifi_test::write_hostile_aps(dir).string()});
  const auto& port = sim.devices()[0].port;
  CHECK(espprov({"wifi", "add", "--port", port, "--ssid", "espprov-lab", "--password", "correct horse battery"})
            .exit_code == 0);
  auto add = espprov({"wifi", "add", "--port", port, "--ssid", "open lobby", "--open"});
  REQUIRE(add.exit_code == 0);
  CHECK(nlohmann::json::parse(add.out)["saved"].size() == 2);
  auto reorder = espprov({"wifi", "reorder", "--port", port, "--ssid", "open lobby", "--index", "0"});
  REQUIRE(reorder.exit_code == 0);
  CHECK(nlohmann::json::parse(reorder.out)["saved"][0]["ssid"] == "open lobby");
  auto select = espprov({"wifi", "select", "--port", port, "--ssid", "espprov-lab"});
  REQUIRE(select.exit_code == 0);
  CHECK(nlohmann::json::parse(select.out)["rssi"] == -42);
  auto del = espprov({"wifi", "delete", "--port", port, "--ssid", "open lobby"});
  REQUIRE(del.exit_code == 0);
  CHECK(nlohmann::json::parse(del.out)["saved"].size() == 1);
  auto scan = espprov({"wifi", "scan", "--port", port});
  REQUIRE(scan.exit_code == 0);
  CHECK(scan.out.find("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345") != std::string::npos);
  auto gone = espprov({"wifi", "delete", "--port", port, "--ssid", "not saved"});
  CHECK(gone.exit_code == provision::exit_code_of(provision::ErrorCode::firmware_error));

  const auto& ap = wifi_test::hostile_aps()[3];  // UTF-8 SSID
  nlohmann::json record{{"port", port}, {"wifi_ssid", ap.ssid}, {"wifi_password", ap.password}};
  auto improv = espprov({"wifi", "--in", "-", "--protocol", "improv", "--redact"}, record.dump());
  INFO(improv.err);
  REQUIRE(improv.exit_code == 0);
  auto provisioned = nlohmann::json::parse(improv.out);
  CHECK(provisioned["wifi_protocol"] == "improv");
  CHECK(provisioned["wifi_password"] == "***");
  auto autodetect = espprov({"wifi", "--port", port, "--ssid", "espprov-lab", "--password", "correct horse battery",
                             "--protocol", "auto", "--no-reboot"});
  CHECK(autodetect.exit_code == 0);
  CHECK(nlohmann::json::parse(autodetect.out)["wifi_protocol"] == "improv");
  auto wrong = espprov({"wifi", "--port", port, "--ssid", "espprov-lab", "--password", "Wrong-Secret-77",
                        "--protocol", "improv"});
  CHECK(wrong.exit_code == provision::exit_code_of(provision::ErrorCode::wifi_failed));
  CHECK(wrong.err.find("unable to connect") != std::string::npos);
  auto info = espprov({"info", "--port", port, "--protocol", "improv"});
  REQUIRE(info.exit_code == 0);
  CHECK(nlohmann::json::parse(info.out)["chip_family"] == "ESP32-S3");
}

TEST_CASE("espprov wifi --help shows the examples and the subcommands", "[wifi][cli]") {
  auto help = espprov({"wifi", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--password-file") != std::string::npos);
  CHECK(help.out.find("ESPPROV_WIFI_PASSWORD") != std::string::npos);
  CHECK(help.out.find("reorder") != std::string::npos);
  auto info_help = espprov({"info", "--help"});
  CHECK(info_help.out.find("identity_mismatch") != std::string::npos);
}

TEST_CASE("espprov wifi: the simulator's built-in UTF-8 network can be joined end to end", "[wifi][cli][sim]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});  // the built-in access point table
  const std::string ssid = "Caf\xC3\xA9 \xE2\x98\x95 Stra\xC3\x9F" "e";
  auto r = espprov({"wifi", "--port", sim.devices()[0].port, "--ssid", ssid, "--no-reboot"}, {});
  // No password given yet: the error names the missing passphrase, nothing was sent.
  CHECK(r.exit_code != 0);
  auto env = run_process({"/usr/bin/env", "ESPPROV_WIFI_PASSWORD=muenchen-2024",
                          test_support::bin_path("espprov").string(), "wifi", "--port", sim.devices()[0].port,
                          "--ssid", ssid, "--no-reboot"});
  INFO(env.err);
  REQUIRE(env.exit_code == 0);
  auto record = nlohmann::json::parse(env.out);
  CHECK(record["wifi_ssid"] == ssid);
  CHECK(record["rssi"] == -67);
}

}  // namespace wifi_cli_test
