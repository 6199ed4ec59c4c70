// Provisioning mode (PROTOCOL.md §7.2): when the device advertises, for how long, and the BOOT button; first the
// pure state machine with a clock the test sets, then the firmware on a simulated board.
#include <catch2/catch.hpp>

#include <algorithm>

#include "firmware/ble_link.hpp"

namespace ble_mode_test {

using fw::ModeAction;
using fw::ProvisioningMode;
using fwtest::BleDevice;
using fwtest::Phone;
using State = fw::ProvisioningMode::State;

TEST_CASE("provisioning mode starts at boot without WiFi or when asked for, not otherwise", "[ble][ble_mode]") {
  ProvisioningMode mode;
  CHECK(mode.boot(0, false, false) == ModeAction::start_advertising);
  CHECK(mode.state() == State::advertising);
  CHECK(mode.boot(0, true, false) == ModeAction::none);
  CHECK(mode.state() == State::idle);
  CHECK(mode.boot(0, true, true) == ModeAction::start_advertising);
}

TEST_CASE("advertising stops 60 s after it started when nobody connects", "[ble][ble_mode]") {
  ProvisioningMode mode;
  REQUIRE(mode.boot(1000, false, false) == ModeAction::start_advertising);
  CHECK(mode.tick(60999) == ModeAction::none);
  CHECK(mode.state() == State::advertising);
  CHECK(mode.tick(61000) == ModeAction::stop_advertising);
  CHECK(mode.state() == State::idle);
  CHECK(mode.tick(200000) == ModeAction::none);
}

TEST_CASE("a connection holds provisioning mode, a disconnect advertises again for a fresh 60 s", "[ble][ble_mode]") {
  ProvisioningMode mode;
  mode.boot(0, false, false);
  CHECK(mode.connected(59000) == ModeAction::none);
  CHECK(mode.tick(500000) == ModeAction::none);  // no timeout while connected
  CHECK(mode.state() == State::connected);
  CHECK(mode.disconnected(500000) == ModeAction::start_advertising);
  CHECK(mode.tick(559999) == ModeAction::none);
  CHECK(mode.tick(560000) == ModeAction::stop_advertising);
}

TEST_CASE("holding BOOT 3 s enters provisioning mode, 2.9 s does not", "[ble][ble_mode]") {
  SECTION("2.9 s then release") {
    ProvisioningMode mode;
    mode.boot(0, true, false);
    CHECK(mode.button(true, 10000) == ModeAction::none);
    CHECK(mode.tick(12899) == ModeAction::none);
    CHECK(mode.tick(12900) == ModeAction::none);
    CHECK(mode.button(false, 12900) == ModeAction::none);
    CHECK(mode.tick(20000) == ModeAction::none);
    CHECK(mode.state() == State::idle);
  }
  SECTION("3 s while still held") {
    ProvisioningMode mode;
    mode.boot(0, true, false);
    mode.button(true, 10000);
    CHECK(mode.tick(12999) == ModeAction::none);
    CHECK(mode.tick(13000) == ModeAction::start_advertising);
    CHECK(mode.tick(15000) == ModeAction::none);  // once per hold, however long
    CHECK(mode.button(false, 20000) == ModeAction::none);
    CHECK(mode.tick(72999) == ModeAction::none);  // the window started at 13 s
    CHECK(mode.tick(73000) == ModeAction::stop_advertising);
  }
  SECTION("3 s measured at release, with no tick in between") {
    ProvisioningMode mode;
    mode.boot(0, true, false);
    mode.button(true, 10000);
    CHECK(mode.button(false, 13000) == ModeAction::start_advertising);
  }
  SECTION("a bounce restarts the hold") {
    ProvisioningMode mode;
    mode.boot(0, true, false);
    mode.button(true, 10000);
    mode.button(false, 10005);
    mode.button(true, 10008);
    CHECK(mode.tick(13000) == ModeAction::none);
    CHECK(mode.tick(13008) == ModeAction::start_advertising);
  }
}

TEST_CASE("a hold while advertising restarts the window, while connected or restarting it does nothing",
          "[ble][ble_mode]") {
  ProvisioningMode mode;
  mode.boot(0, false, false);
  mode.button(true, 50000);
  CHECK(mode.tick(53000) == ModeAction::none);  // already advertising
  CHECK(mode.tick(112999) == ModeAction::none);
  CHECK(mode.tick(113000) == ModeAction::stop_advertising);
  mode.button(false, 113000);
  mode.boot(0, false, false);
  mode.connected(1000);
  mode.button(true, 2000);
  CHECK(mode.tick(5000) == ModeAction::none);
  CHECK(mode.state() == State::connected);
  mode.restarting();
  CHECK(mode.disconnected(6000) == ModeAction::none);
  CHECK(mode.state() == State::restarting);
}

TEST_CASE("an unconfigured board advertises LED_WiFi_Config at boot and stops after 60 s", "[ble][ble_mode]") {
  BleDevice device;
  const auto boot = device.boot();
  CHECK(std::find(boot.begin(), boot.end(), "ble provisioning: advertising as LED_WiFi_Config") != boot.end());
  CHECK(device.radio.advertising);
  CHECK(device.radio.advertised_name == "LED_WiFi_Config");
  device.advance_ms(59990);
  CHECK(device.radio.advertising);
  device.advance_ms(10);
  CHECK_FALSE(device.radio.advertising);
  device.advance_ms(120000);
  CHECK(device.radio.advertising_starts == 1);
}

TEST_CASE("the advertised name is configurable", "[ble][ble_mode]") {
  fw::BleOptions options;
  options.device_name = "Porch-Light";
  BleDevice device(options);
  device.boot();
  CHECK(device.radio.advertised_name == "Porch-Light");
}

TEST_CASE("a configured board advertises only after BOOT is held 3 s, not 2.9 s", "[ble][ble_mode]") {
  BleDevice device;
  device.boot();
  device.send("AT+WIFI_ADD=\"HomeNet\",\"\"");
  device.boot();
  CHECK_FALSE(device.radio.advertising);
  device.firmware->on_button(true);
  device.advance_ms(2900);
  device.firmware->on_button(false);
  device.advance_ms(1000);
  CHECK_FALSE(device.radio.advertising);
  device.firmware->on_button(true);
  device.advance_ms(3000);
  CHECK(device.radio.advertising);
  device.firmware->on_button(false);
  // And it times out like any other window.
  device.advance_ms(60000);
  CHECK_FALSE(device.radio.advertising);
}

TEST_CASE("a phone that connects and leaves gets advertising back for another 60 s", "[ble][ble_mode]") {
  BleDevice device;
  device.boot();
  device.advance_ms(30000);
  Phone phone(device);
  phone.connect();
  CHECK_FALSE(device.radio.advertising);
  device.advance_ms(120000);  // no timeout while connected
  phone.disconnect();
  CHECK(device.radio.advertising);
  device.advance_ms(59990);
  CHECK(device.radio.advertising);
  device.advance_ms(10);
  CHECK_FALSE(device.radio.advertising);
}

TEST_CASE("without an attached radio the firmware has no BLE and the button does nothing", "[ble][ble_mode]") {
  fwtest::Device device;
  device.boot();
  CHECK(device.firmware->ble() == nullptr);
  device.firmware->on_button(true);
  device.platform.advance_ms(5000);
  device.firmware->poll();
  CHECK(device.send("AT") == std::vector<std::string>{"OK"});
}

}  // namespace ble_mode_test
