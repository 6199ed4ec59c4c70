// Saved networks, the proof of possession, factory reset and boot-time connection, through the AT console and
// across reboots on the same flash.
#include <catch2/catch.hpp>

#include "firmware/memory_platform.hpp"
#include <cstring>

#include "fw/nvs_store.hpp"

namespace saved_networks_test {

using fwtest::Device;
using Lines = std::vector<std::string>;

namespace {

constexpr std::uint32_t kProvOffset = 0x3F0000;

void write_credentials(fwtest::MemoryPlatform& platform, const std::vector<std::pair<std::string, std::string>>& kv) {
  fw::nvs::NvsStore prov(platform, kProvOffset, 0x10000);
  REQUIRE(prov.load());
  for (const auto& [key, value] : kv) REQUIRE(prov.set_string("provision", key, value));
}

std::string pop_of(Device& device) { return device.send("AT+POP?").at(0); }

}  // namespace

TEST_CASE("WIFI_ADD appends at the lowest priority and updates a saved SSID in place", "[firmware][networks]") {
  Device device;
  device.boot();
  CHECK(device.send("AT+WIFI_ADD=\"a\",\"password-a\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_ADD=\"b\",\"\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_ADD=\"a\",\"password-new\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"a\"", "+WIFI_LIST:1,\"b\"", "OK"});
  CHECK(device.send("AT+WIFI_ADD=\"c\",\"short\"") == Lines{"ERROR:password_length"});
}

TEST_CASE("at most 8 networks are saved, a ninth is refused with list_full", "[firmware][networks]") {
  Device device;
  device.boot();
  for (int i = 0; i < 8; ++i) CHECK(device.send("AT+WIFI_ADD=\"net" + std::to_string(i) + "\",\"\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_ADD=\"net8\",\"\"") == Lines{"ERROR:list_full"});
  CHECK(device.send("AT+WIFI_ADD=\"net3\",\"newpassword\"") == Lines{"OK"});
  device.send("AT+WIFI_SSID=\"another\"");
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"ERROR:list_full"});
  CHECK(device.platform.connect_calls() == 0);
  CHECK(device.send("AT+INFO?").at(8) == "+INFO:saved,8");
}

TEST_CASE("WIFI_PRIO moves a network and shifts the others", "[firmware][networks]") {
  Device device;
  device.boot();
  for (const char* ssid : {"a", "b", "c", "d"}) device.send(std::string("AT+WIFI_ADD=\"") + ssid + "\",\"\"");
  CHECK(device.send("AT+WIFI_PRIO=\"d\",0") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_PRIO=\"a\",3") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_LIST?") ==
        Lines{"+WIFI_LIST:0,\"d\"", "+WIFI_LIST:1,\"b\"", "+WIFI_LIST:2,\"c\"", "+WIFI_LIST:3,\"a\"", "OK"});
  CHECK(device.send("AT+WIFI_PRIO=\"a\",4") == Lines{"ERROR:bad_argument"});
  CHECK(device.send("AT+WIFI_PRIO=\"zz\",0") == Lines{"ERROR:not_found"});
}

TEST_CASE("WIFI_DEL removes a network, an unknown SSID is not_found", "[firmware][networks]") {
  Device device;
  device.boot();
  device.send("AT+WIFI_ADD=\"a\",\"\"");
  device.send("AT+WIFI_ADD=\"b\",\"\"");
  CHECK(device.send("AT+WIFI_DEL=\"a\"") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_DEL=\"a\"") == Lines{"ERROR:not_found"});
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"b\"", "OK"});
}

TEST_CASE("CONNECT to a saved network moves it to priority 0", "[firmware][networks]") {
  Device device;
  device.boot();
  device.platform.access_points.push_back({"c", "password-c"});
  for (const char* ssid : {"a", "b", "c"}) device.send(std::string("AT+WIFI_ADD=\"") + ssid + "\",\"password-x\"");
  device.send("AT+WIFI_SSID=\"c\"");
  device.send("AT+WIFI_PASSWORD=\"password-c\"");
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"OK"});
  device.complete_connect();
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"c\"", "+WIFI_LIST:1,\"a\"", "+WIFI_LIST:2,\"b\"", "OK"});
}

TEST_CASE("WIFI_SELECT connects to a saved network with its saved password", "[firmware][networks]") {
  Device device;
  device.boot();
  device.platform.access_points.push_back({"b", "password-b"});
  device.send("AT+WIFI_ADD=\"a\",\"password-a\"");
  device.send("AT+WIFI_ADD=\"b\",\"password-b\"");
  CHECK(device.send("AT+WIFI_SELECT=\"zz\"") == Lines{"ERROR:not_found"});
  CHECK(device.send("AT+WIFI_SELECT=\"b\"") == Lines{"OK"});
  CHECK(device.complete_connect() == Lines{"+WIFI:CONNECTED,192.168.4.23,-50"});
}

TEST_CASE("saved networks survive a reboot and boot tries them in priority order", "[firmware][networks]") {
  Device device;
  device.boot();
  device.platform.access_points.push_back({"second", "password-2"});
  device.send("AT+WIFI_ADD=\"first\",\"password-1\"");
  device.send("AT+WIFI_ADD=\"second\",\"password-2\"");
  device.reboot();
  CHECK(device.platform.pending_ssid() == std::string("first"));
  CHECK(device.complete_connect() == Lines{"+WIFI:FAILED,ap_not_found"});
  CHECK(device.platform.pending_ssid() == std::string("second"));
  CHECK(device.complete_connect() == Lines{"+WIFI:CONNECTED,192.168.4.23,-50"});
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"first\"", "+WIFI_LIST:1,\"second\"", "OK"});
}

TEST_CASE("a user CONNECT replaces a boot-time attempt instead of answering busy", "[firmware][networks]") {
  Device device;
  device.boot();
  device.send("AT+WIFI_ADD=\"saved\",\"\"");
  device.reboot();
  REQUIRE(device.platform.pending_ssid() == std::string("saved"));
  device.platform.access_points.push_back({"new", ""});
  device.send("AT+WIFI_SSID=\"new\"");
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"OK"});
  CHECK(device.platform.pending_ssid() == std::string("new"));
  CHECK(device.complete_connect() == Lines{"+WIFI:CONNECTED,192.168.4.23,-50"});
}

TEST_CASE("with no saved network boot tries prov's wifi_ssid and saves it on success", "[firmware][networks]") {
  Device device;
  write_credentials(device.platform, {{"uuid", "6f1c2a9e-3b7d-4e58-9a0c-2d4b8e7f1a35"},
                                      {"psk", std::string(64, 'e')},
                                      {"wifi_ssid", "Factory-Line-3"},
                                      {"wifi_password", "Tr0ub4dor&3-Secure!"}});
  device.platform.access_points.push_back({"Factory-Line-3", "Tr0ub4dor&3-Secure!"});
  const Lines boot = device.boot();
  for (const auto& line : boot) {
    CHECK(line.find("Tr0ub4dor") == std::string::npos);
    CHECK(line.find(std::string(64, 'e')) == std::string::npos);
  }
  CHECK(device.platform.pending_ssid() == std::string("Factory-Line-3"));
  CHECK(device.complete_connect() == Lines{"+WIFI:CONNECTED,192.168.4.23,-50"});
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"Factory-Line-3\"", "OK"});
  const Lines info = device.send("AT+INFO?");
  CHECK(info.at(4) == "+INFO:uuid,\"6f1c2a9e-3b7d-4e58-9a0c-2d4b8e7f1a35\"");
  CHECK(info.at(5) == "+INFO:credentials,yes");
  CHECK(info.at(6) == "+INFO:cert,no");
  CHECK(info.at(7) == "+INFO:wifi,connected");
}

TEST_CASE("the PoP is generated once and survives reboot and factory reset", "[firmware][pop]") {
  Device device;
  device.boot();
  const std::string pop = pop_of(device);
  device.reboot();
  CHECK(pop_of(device) == pop);
  device.send("AT+WIFI_ADD=\"a\",\"\"");
  CHECK(device.send("AT+FACTORY_RESET") == Lines{"OK"});
  CHECK(device.platform.take_restart() == fw::BootMode::app);
  device.reboot();
  CHECK(pop_of(device) == pop);
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"OK"});
}

TEST_CASE("two devices get different PoPs", "[firmware][pop]") {
  Device one;
  Device two;
  two.platform = fwtest::MemoryPlatform(0x400000, 2);
  one.boot();
  two.boot();
  CHECK(pop_of(one) != pop_of(two));
}

TEST_CASE("factory reset keeps the station's credentials and forgets the pending SSID", "[firmware][pop]") {
  Device device;
  write_credentials(device.platform, {{"uuid", "6f1c2a9e-3b7d-4e58-9a0c-2d4b8e7f1a35"}, {"psk", std::string(64, 'a')}});
  device.boot();
  device.send("AT+WIFI_SSID=\"pending\"");
  CHECK(device.send("AT+FACTORY_RESET") == Lines{"OK"});
  CHECK(device.send("AT+WIFI_CONNECT") == Lines{"ERROR:no_ssid"});
  device.reboot();
  CHECK(device.send("AT+INFO?").at(5) == "+INFO:credentials,yes");
}

TEST_CASE("a failing flash write answers ERROR:flash", "[firmware][networks]") {
  Device device;
  device.boot();
  device.platform.fail_flash_writes(true);
  CHECK(device.send("AT+WIFI_ADD=\"a\",\"\"") == Lines{"ERROR:flash"});
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"OK"});
}

TEST_CASE("the credentials partition is found through a partition table at another offset", "[firmware][networks]") {
  Device device;
  std::vector<std::uint8_t> table(0xC00, 0xFF);
  auto put_entry = [&](std::size_t i, const char* label, std::uint8_t type, std::uint8_t subtype,
                       std::uint32_t offset, std::uint32_t size) {
    std::uint8_t* e = table.data() + i * 32;
    std::fill(e, e + 32, 0);
    e[0] = 0xAA, e[1] = 0x50, e[2] = type, e[3] = subtype;
    for (int b = 0; b < 4; ++b) e[4 + b] = static_cast<std::uint8_t>(offset >> (8 * b));
    for (int b = 0; b < 4; ++b) e[8 + b] = static_cast<std::uint8_t>(size >> (8 * b));
    std::memcpy(e + 12, label, std::strlen(label));
  };
  put_entry(0, "nvs", 1, 2, 0x9000, 0x6000);
  put_entry(1, "factory", 0, 0, 0x10000, 0x100000);
  put_entry(2, "prov", 1, 2, 0x200000, 0x4000);
  std::copy(table.begin(), table.end(), device.platform.flash().begin() + 0x8000);
  fw::nvs::NvsStore prov(device.platform, 0x200000, 0x4000);
  REQUIRE(prov.load());
  REQUIRE(prov.set_string("provision", "uuid", "11111111-2222-4333-8444-555555555555"));
  REQUIRE(prov.set_string("provision", "psk", std::string(64, '0')));
  REQUIRE(prov.set_string("provision", "device_cert", "-----BEGIN CERTIFICATE-----\n"));
  device.boot();
  const Lines info = device.send("AT+INFO?");
  CHECK(info.at(4) == "+INFO:uuid,\"11111111-2222-4333-8444-555555555555\"");
  CHECK(info.at(6) == "+INFO:cert,yes");
}

}  // namespace saved_networks_test
