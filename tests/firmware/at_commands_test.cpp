// The AT console of the firmware core, driven through a booted device on an in-memory platform.
#include <catch2/catch.hpp>

#include "firmware/memory_platform.hpp"

namespace at_commands_test {

using fwtest::Device;
using Lines = std::vector<std::string>;

namespace {

Device booted_device() {
  Device device;
  device.boot();
  return device;
}

}  // namespace

TEST_CASE("boot prints logs then exactly one +READY as the last line", "[firmware][at]") {
  Device device;
  const Lines lines = device.boot();
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back() == "+READY");
  CHECK(std::count(lines.begin(), lines.end(), "+READY") == 1);
}

TEST_CASE("AT answers OK and unknown commands answer unknown_command", "[firmware][at]") {
  Device device = booted_device();
  CHECK(device.send("AT") == Lines{"OK"});
  CHECK(device.send("AT+NOPE") == Lines{"ERROR:unknown_command"});
  CHECK(device.send("hello") == Lines{"ERROR:unknown_command"});
  CHECK(device.send("AT+INFO") == Lines{"ERROR:unknown_command"});
  CHECK(device.send("").empty());
}

TEST_CASE("a bare LF ends a line like CRLF", "[firmware][at]") {
  Device device = booted_device();
  CHECK(device.feed("AT\nAT\r\n") == Lines{"OK", "OK"});
}

TEST_CASE("AT+INFO? lists the keys in the documented order for an unprovisioned device", "[firmware][at]") {
  Device device = booted_device();
  CHECK(device.send("AT+INFO?") == Lines{"+INFO:fw_name,\"espprov-fw\"", "+INFO:fw_version,\"1.0.0\"",
                                         "+INFO:chip,esp32c3", "+INFO:mac,A0:B1:C2:D3:E4:F5", "+INFO:uuid,\"\"",
                                         "+INFO:credentials,no", "+INFO:cert,no", "+INFO:wifi,idle",
                                         "+INFO:saved,0", "OK"});
}

TEST_CASE("WIFI_SSID and WIFI_PASSWORD check the limits on the device", "[firmware][at]") {
  Device device = booted_device();
  CHECK(device.send("AT+WIFI_SSID=\"\"") == Lines{"ERROR:ssid_length"});
  CHECK(device.send("AT+WIFI_SSID=\"" + std::string(33, 'a') + "\"") == Lines{"ERROR:ssid_length"});
  CHECK(device.send("AT+WIFI_SSID=\"" + std::string(32, 'a') + "\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_PASSWORD=\"short\"") == Lines{"ERROR:password_length"});
  CHECK(device.send("AT+WIFI_PASSWORD=\"" + std::string(64, 'z') + "\"") == Lines{"ERROR:password_chars"});
  CHECK(device.send("AT+WIFI_PASSWORD=\"" + std::string(65, 'a') + "\"") == Lines{"ERROR:password_length"});
  CHECK(device.send("AT+WIFI_PASSWORD=\"tab\\x09in password\"") == Lines{"ERROR:password_chars"});
  CHECK(device.send("AT+WIFI_PASSWORD=\"" + std::string(64, 'A') + "\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_PASSWORD=\"" + std::string(63, '~') + "\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_PASSWORD=\"\"") == Lines{"OK"});
}

TEST_CASE("malformed quoting and wrong argument counts answer bad_argument", "[firmware][at]") {
  Device device = booted_device();
  CHECK(device.send("AT+WIFI_SSID=\"open") == Lines{"ERROR:bad_argument"});
  CHECK(device.send("AT+WIFI_SSID=\"bad\\q\"") == Lines{"ERROR:bad_argument"});
  CHECK(device.send("AT+WIFI_ADD=\"only-one\"") == Lines{"ERROR:bad_argument"});
  CHECK(device.send("AT+WIFI_CONNECT=1") == Lines{"ERROR:bad_argument"});
  CHECK(device.send("AT+WIFI_DEL=a b") == Lines{"ERROR:bad_argument"});
  CHECK(device.send("AT+WIFI_PRIO=\"x\",first") == Lines{"ERROR:bad_argument"});
}

TEST_CASE("the legacy unquoted WIFI_SSID takes the rest of the line byte for byte", "[firmware][at]") {
  Device device = booted_device();
  device.platform.access_points.push_back({"My Network, \"5G\"", "password123"});
  CHECK(device.send("AT+WIFI_SSID=My Network, \"5G\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_PASSWORD=password123") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"OK"});
  CHECK(device.platform.pending_ssid() == std::string("My Network, \"5G\""));
}

TEST_CASE("a line over 512 bytes is discarded with line_too_long and the next line works", "[firmware][at]") {
  Device device = booted_device();
  CHECK(device.send("AT+WIFI_SSID=\"" + std::string(600, 'a') + "\"") == Lines{"ERROR:line_too_long"});
  CHECK(device.send("AT") == Lines{"OK"});
  // Exactly 512 bytes is still a line (here a too-long SSID, but parsed).
  const std::string line = "AT+WIFI_SSID=\"" + std::string(512 - 15, 'b') + "\"";
  REQUIRE(line.size() == 512);
  CHECK(device.send(line) == Lines{"ERROR:ssid_length"});
  CHECK(device.feed(std::string(513, 'c') + "\n") == Lines{"ERROR:line_too_long"});
}

TEST_CASE("WIFI_CONNECT without a pending SSID answers no_ssid", "[firmware][at]") {
  Device device = booted_device();
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"ERROR:no_ssid"});
}

TEST_CASE("WIFI_CONNECT reports the result and saves the network as number 0", "[firmware][at]") {
  Device device = booted_device();
  device.platform.access_points.push_back({"Lab, 2.4 \"GHz\"", "correct horse", -42});
  CHECK(device.send("AT+WIFI_SSID=\"Lab, 2.4 \\\"GHz\\\"\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_PASSWORD=\"correct horse\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_STATUS?") == Lines{"+WIFI_STATUS:connecting,\"Lab, 2.4 \\\"GHz\\\"\",0.0.0.0,0", "OK"});
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"ERROR:busy"});
  CHECK(device.complete_connect() == Lines{"+WIFI:CONNECTED,192.168.4.23,-42"});
  CHECK(device.send("AT+WIFI_STATUS?") ==
        Lines{"+WIFI_STATUS:connected,\"Lab, 2.4 \\\"GHz\\\"\",192.168.4.23,-42", "OK"});
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"Lab, 2.4 \\\"GHz\\\"\"", "OK"});
}

TEST_CASE("a wrong password and a missing AP fail with their reasons and are not saved", "[firmware][at]") {
  Device device = booted_device();
  device.platform.access_points.push_back({"home", "rightpassword"});
  device.send("AT+WIFI_SSID=\"home\"");
  device.send("AT+WIFI_PASSWORD=\"wrongpassword\"");
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"OK"});
  CHECK(device.complete_connect() == Lines{"+WIFI:FAILED,wrong_password"});
  device.send("AT+WIFI_SSID=\"elsewhere\"");
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"OK"});
  CHECK(device.complete_connect() == Lines{"+WIFI:FAILED,ap_not_found"});
  CHECK(device.send("AT+WIFI_STATUS?") == Lines{"+WIFI_STATUS:failed,\"elsewhere\",0.0.0.0,0", "OK"});
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"OK"});
}

TEST_CASE("an attempt with no answer fails with timeout after 15 s", "[firmware][at]") {
  Device device = booted_device();
  device.send("AT+WIFI_SSID=\"silent\"");
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"OK"});
  device.platform.advance_ms(14999);
  device.firmware->poll();
  CHECK(device.take_lines().empty());
  device.platform.advance_ms(1);
  device.firmware->poll();
  CHECK(device.take_lines() == Lines{"+WIFI:FAILED,timeout"});
  CHECK(device.platform.disconnect_calls() >= 1);
  CHECK_FALSE(device.platform.pending_ssid());
}

TEST_CASE("a disconnect after connecting is reported and the state returns to idle", "[firmware][at]") {
  Device device = booted_device();
  device.platform.access_points.push_back({"net", ""});
  device.send("AT+WIFI_SSID=\"net\"");
  device.send("AT+WIFI_CONNECT");
  device.complete_connect();
  fw::WifiEvent lost;
  lost.kind = fw::WifiEvent::Kind::disconnected;
  device.firmware->on_wifi_event(lost);
  CHECK(device.take_lines() == Lines{"+WIFI:DISCONNECTED"});
  CHECK(device.send("AT+WIFI_STATUS?") == Lines{"+WIFI_STATUS:idle,\"net\",0.0.0.0,0", "OK"});
}

TEST_CASE("WIFI_SCAN lists access points strongest first with quoted SSIDs", "[firmware][at]") {
  Device device = booted_device();
  device.platform.access_points = {{"weak", "", -80, fw::WifiAuth::open, 1},
                                    {"strong,\x01", "", -30, fw::WifiAuth::wpa2_wpa3, 11},
                                    {"mid", "", -55, fw::WifiAuth::wpa3, 6}};
  CHECK(device.send("AT+WIFI_SCAN") == Lines{"+WIFI_SCAN:\"strong,\\x01\",-30,wpa2_wpa3,11",
                                             "+WIFI_SCAN:\"mid\",-55,wpa3,6", "+WIFI_SCAN:\"weak\",-80,open,1",
                                             "OK"});
}

TEST_CASE("AT+POP? prints 64 lower-case hex digits", "[firmware][at]") {
  Device device = booted_device();
  const Lines lines = device.send("AT+POP?");
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] == "OK");
  REQUIRE(lines[0].size() == 5 + 64);
  CHECK(lines[0].rfind("+POP:", 0) == 0);
  CHECK(lines[0].find_first_not_of("0123456789abcdef", 5) == std::string::npos);
}

TEST_CASE("REBOOT and BOOTLOADER answer OK then request the restart mode", "[firmware][at]") {
  Device device = booted_device();
  CHECK(device.send("AT+REBOOT") == Lines{"OK"});
  CHECK(device.platform.take_restart() == fw::BootMode::app);
  CHECK(device.send("AT+BOOTLOADER") == Lines{"OK"});
  CHECK(device.platform.take_restart() == fw::BootMode::download);
}

TEST_CASE("boot logs never show the WiFi password or the PSK", "[firmware][at]") {
  Device device = booted_device();
  device.platform.access_points.push_back({"secret-net", "hunter2hunter2"});
  device.send("AT+WIFI_SSID=\"secret-net\"");
  device.send("AT+WIFI_PASSWORD=\"hunter2hunter2\"");
  device.send("AT+WIFI_CONNECT");
  device.complete_connect();
  const Lines boot = device.reboot();
  for (const auto& line : boot) CHECK(line.find("hunter2") == std::string::npos);
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"secret-net\"", "OK"});
}

}  // namespace at_commands_test
