// provision --wifi-protocol: the WiFi settings reach the simulated firmware over Improv Wi-Fi serial (or whichever
// protocol it answers), chosen in libprovision (provision/wifi_transport.hpp), and the board ends verified.
#include <catch2/catch.hpp>

#include "e2e/e2e_support.hpp"
#include "provision/error.hpp"

namespace wifi_protocol_test {

using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

json provision_one(const TempDir& dir, const SimRun& sim, const std::string& protocol) {
  auto result = run_process(e2e::provision_argv(nullptr, (dir / "ledger.db").string(), {sim.devices()[0].port},
                                                {"--wifi-protocol", protocol}),
                            "", 120s);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto out = e2e::records(result);
  REQUIRE(out.size() == 1);
  CHECK(result.err.find(e2e::kLabPassword) == std::string::npos);
  return out[0];
}

// The network the firmware saved, as `espprov wifi list` reads it over its console.
std::string first_saved_ssid(const SimRun& sim) {
  auto list =
      run_process({test_support::bin_path("espprov").string(), "wifi", "list", "--port", sim.devices()[0].port});
  REQUIRE(list.exit_code == 0);
  return json::parse(list.out)["saved"].at(0)["ssid"];
}

}  // namespace

TEST_CASE("provision --wifi-protocol improv configures WiFi over Improv and verifies the board",
          "[e2e][wifi_protocol]") {
  TempDir dir;
  SimRun sim(1, "esp32c3");
  auto record = provision_one(dir, sim, "improv");
  CHECK(record["ok"] == true);
  CHECK(record["wifi_protocol"] == "improv");
  CHECK(record["wifi_ssid"] == e2e::kLabSsid);
  CHECK(record["verified"] == true);
  CHECK(record["timings"].contains("wifi"));
  CHECK(first_saved_ssid(sim) == e2e::kLabSsid);
  CHECK(e2e::flashed_credentials(sim.devices()[0].flash)["uuid"] == record["uuid"]);
}

TEST_CASE("provision --wifi-protocol auto takes Improv when the firmware answers it; at stays the default",
          "[e2e][wifi_protocol]") {
  TempDir dir;
  SimRun sim(1, "esp32c3");
  auto automatic = provision_one(dir, sim, "auto");
  CHECK(automatic["wifi_protocol"] == "improv");
  CHECK(automatic["verified"] == true);

  TempDir other;
  SimRun at_sim(1, "esp32c3");
  auto result =
      run_process(e2e::provision_argv(nullptr, (other / "ledger.db").string(), {at_sim.devices()[0].port}), "", 120s);
  REQUIRE(result.exit_code == 0);
  auto at = e2e::records(result).at(0);
  CHECK(at["wifi_protocol"] == "at");
  CHECK(at.contains("ip"));
}

TEST_CASE("provision --wifi-protocol refuses an unknown protocol before any board is touched", "[e2e][wifi_protocol]") {
  TempDir dir;
  auto r = run_process(
      e2e::provision_argv(nullptr, (dir / "ledger.db").string(), {"/dev/null"}, {"--wifi-protocol", "ble"}));
  CHECK(r.exit_code == provision::exit_code_of(provision::ErrorCode::usage));
  CHECK_THAT(r.err, Catch::Contains("--wifi-protocol"));
}

}  // namespace wifi_protocol_test
