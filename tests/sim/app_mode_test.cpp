// The simulator in app mode: the firmware core on the host port, its console over the pty, the simulated radio,
// and the mode switches (AT+BOOTLOADER, the control socket). Needs a build with the firmware core: without one
// these tests fail.
#include <catch2/catch.hpp>
#include <fstream>

#include "sim/rom_client.hpp"
#include "sim/sim_console.hpp"
#include "sim/sim_run.hpp"

namespace app_mode_test {

using sim_test::Bytes;
using sim_test::RomClient;
using sim_test::SimRun;

using Console = sim_test::SimConsole;

TEST_CASE("sim app: the firmware boots, prints +READY and answers AT+INFO? with the board's chip and MAC", "[sim][app]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  Console console(sim.devices()[0].port);
  console.require_boot_after_reset(sim);
  console.send("AT");
  CHECK(console.until("OK").find("OK") != std::string::npos);
  console.send("AT+INFO?");
  auto info = console.until("OK");
  CHECK(info.find("+INFO:chip,esp32c3") != std::string::npos);
  CHECK(info.find("+INFO:mac," + sim.devices()[0].mac) != std::string::npos);
}

TEST_CASE("sim app: connecting reports success, a wrong password, a missing AP and a silent AP", "[sim][app]") {
  test_support::TempDir dir;
  {
    std::ofstream aps(dir / "aps.json");
    aps << R"([{"ssid":"lab, \"A\"=1","password":"secret-pass","rssi":-40,"auth":"wpa2","channel":6,"connect_ms":100},
               {"ssid":"quiet","password":"whatever12","connect_ms":200,"answers":false}])";
  }
  SimRun sim(1, "esp32c3", {"--boot", "app", "--aps", (dir / "aps.json").string(), "--flash-timing", "on"});
  Console console(sim.devices()[0].port);
  console.require_boot_after_reset(sim);
  auto attempt = [&](const std::string& ssid, const std::string& password) {
    console.send("AT+WIFI_SSID=" + ssid);
    console.until("OK");
    console.send("AT+WIFI_PASSWORD=" + password);
    console.until("OK");
    console.send("AT+WIFI_CONNECT");
    console.until("OK");
    return console.until("+WIFI:", std::chrono::seconds(20));
  };
  CHECK(attempt(R"("lab, \"A\"=1")", R"("wrong-pass")").find("+WIFI:FAILED,wrong_password") != std::string::npos);
  CHECK(attempt(R"("no such net")", R"("whatever12")").find("+WIFI:FAILED,ap_not_found") != std::string::npos);
  CHECK(attempt(R"("quiet")", R"("whatever12")").find("+WIFI:FAILED,timeout") != std::string::npos);
  CHECK(attempt(R"("lab, \"A\"=1")", R"("secret-pass")").find("+WIFI:CONNECTED,192.168.4.10") != std::string::npos);
}

TEST_CASE("sim app: AT+BOOTLOADER reboots into download mode and FLASH_END back into the app", "[sim][app]") {
  SimRun sim(1, "esp32s3", {"--boot", "app"});
  {
    Console console(sim.devices()[0].port);
    console.require_boot_after_reset(sim);
    console.send("AT+BOOTLOADER");
    CHECK(console.until("OK").find("OK") != std::string::npos);
    CHECK(console.until("waiting for download").find("ESP-ROM:esp32s3") != std::string::npos);
  }
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  REQUIRE(client.write_flash(0x3F0000, Bytes(4096, 0xFF)).ok());
  REQUIRE(client.must(0x04, RomClient::words({0})).ok());
  CHECK(client.read_text(std::chrono::seconds(2)).find("+READY") != std::string::npos);
  CHECK(sim.control("list").find("\"mode\":\"app\"") != std::string::npos);
}

}  // namespace app_mode_test
