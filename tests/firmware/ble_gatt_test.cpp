// The provisioning GATT service (PROTOCOL.md §7.1, §7.3, §7.4) through a simulated link: the UUID layout, the
// seed's characteristics, security before bonding, the status notifications and the commands.
#include <catch2/catch.hpp>

#include <set>

#include "firmware/ble_link.hpp"
#include "fw/nvs_store.hpp"

namespace ble_gatt_test {

using fw::GattChar;
using fw::gatt::AttError;
using fwtest::BleDevice;
using fwtest::Phone;
using Lines = std::vector<std::string>;

namespace {

std::string uuid_of(GattChar id) { return fw::characteristic_spec(id).uuid.to_string(); }

// A booted device (no WiFi: it advertises) with a phone connected, paired and subscribed to the status.
struct Session {
  BleDevice device;
  Phone phone{device};
  Session() {
    device.boot();
    phone.connect();
    phone.pair_and_bond();
    phone.subscribe(GattChar::status);
  }
  std::vector<std::string> statuses() { return phone.take_notifications(GattChar::status); }
};

std::string status_byte(fw::ProvisioningStatus status) { return std::string(1, static_cast<char>(status)); }

}  // namespace

TEST_CASE("the service and characteristic UUIDs are seed 002's, the MAC's equal to the service's", "[ble]") {
  CHECK(fw::provisioning_service_uuid().to_string() == "12345678-9abc-def0-1234-56789abcdef0");
  CHECK(uuid_of(GattChar::mac) == "12345678-9abc-def0-1234-56789abcdef0");
  CHECK(uuid_of(GattChar::pop) == "12345678-9abc-def0-1234-56789abcdef1");
  CHECK(uuid_of(GattChar::ssid) == "12345678-9abc-def0-1234-56789abcdef2");
  CHECK(uuid_of(GattChar::password) == "12345678-9abc-def0-1234-56789abcdef3");
  CHECK(uuid_of(GattChar::status) == "12345678-9abc-def0-1234-56789abcdef4");
  CHECK(uuid_of(GattChar::command) == "12345678-9abc-def0-1234-56789abcdef5");
  CHECK(uuid_of(GattChar::network_request) == "12345678-9abc-def0-1234-56789abcdef6");
  CHECK(uuid_of(GattChar::network_response) == "12345678-9abc-def0-1234-56789abcdef7");
  // Within the service every characteristic is told apart by its UUID, which is how clients look them up.
  std::set<std::string> distinct;
  for (const auto& spec : fw::provisioning_characteristics()) distinct.insert(spec.uuid.to_string());
  CHECK(distinct.size() == fw::provisioning_characteristics().size());
  // ATT sends UUIDs least significant byte first (NimBLE's BLE_UUID128_INIT order).
  const auto le = fw::characteristic_spec(GattChar::pop).uuid.little_endian();
  CHECK(le[0] == 0xF1);
  CHECK(le[1] == 0xDE);
  CHECK(le[15] == 0x12);
}

TEST_CASE("the characteristics have the seed's properties, the password cannot be read back", "[ble]") {
  using fw::kPropNotify;
  using fw::kPropRead;
  using fw::kPropWrite;
  CHECK(fw::characteristic_spec(GattChar::mac).properties == kPropRead);
  CHECK(fw::characteristic_spec(GattChar::pop).properties == kPropRead);
  CHECK(fw::characteristic_spec(GattChar::ssid).properties == (kPropRead | kPropWrite));
  CHECK(fw::characteristic_spec(GattChar::password).properties == kPropWrite);
  CHECK(fw::characteristic_spec(GattChar::status).properties == (kPropRead | kPropNotify));
  CHECK(fw::characteristic_spec(GattChar::command).properties == kPropWrite);
  Session s;
  REQUIRE(s.phone.write(GattChar::password, "correct horse battery") == AttError::ok);
  CHECK(s.phone.read(GattChar::password).error == AttError::read_not_permitted);
  CHECK(s.phone.write(GattChar::mac, "x") == AttError::write_not_permitted);
  CHECK(s.phone.write(GattChar::status, "x") == AttError::write_not_permitted);
}

TEST_CASE("the MAC and the status are readable before pairing, the PoP and SSID are not", "[ble]") {
  BleDevice device;
  device.boot();
  Phone phone(device);
  phone.connect();
  CHECK(phone.read(GattChar::mac).value == fwtest::bytes({0xA0, 0xB1, 0xC2, 0xD3, 0xE4, 0xF5}));
  CHECK(phone.read(GattChar::status).value == status_byte(fw::ProvisioningStatus::ready));
  CHECK(phone.read(GattChar::pop).error == AttError::insufficient_authentication);
  CHECK(phone.read(GattChar::ssid).error == AttError::insufficient_authentication);
  CHECK(phone.read(GattChar::network_response).error == AttError::insufficient_authentication);
}

TEST_CASE("writes before bonding are refused with insufficient authentication and change nothing", "[ble]") {
  BleDevice device;
  device.boot();
  Phone phone(device);
  phone.connect();
  phone.subscribe(GattChar::status);
  CHECK(phone.write(GattChar::ssid, "HomeNet") == AttError::insufficient_authentication);
  CHECK(phone.write(GattChar::password, "hunter2hunter2") == AttError::insufficient_authentication);
  CHECK(phone.write_byte(GattChar::command, 0x03) == AttError::insufficient_authentication);
  CHECK(phone.write(GattChar::network_request, fwtest::bytes({0x00, 0x01, 0x01})) ==
        AttError::insufficient_authentication);
  CHECK(phone.take_notifications(GattChar::status).empty());  // not even the error status
  CHECK(phone.take_notifications(GattChar::network_response).empty());
  device.poll();
  CHECK_FALSE(device.platform.take_restart());
  CHECK(device.send("AT+WIFI_LIST?") == Lines{"OK"});
  phone.pair_and_bond();
  CHECK(phone.read(GattChar::ssid).value.empty());
  CHECK(phone.read(GattChar::status).value == status_byte(fw::ProvisioningStatus::ready));
}

TEST_CASE("links short of an encrypted LE Secure Connections bond get the error that makes the phone fix it",
          "[ble]") {
  Session s;
  using fw::gatt::LinkSecurity;
  // Bonded earlier, reconnected, not yet encrypted: the phone starts encryption on insufficient encryption.
  s.phone.set_security(LinkSecurity{false, false, true, false, 0});
  CHECK(s.phone.read(GattChar::pop).error == AttError::insufficient_encryption);
  // LE legacy pairing, even encrypted and bonded: its Just Works key is recoverable by a passive listener.
  s.phone.set_security(LinkSecurity{true, false, true, false, 16});
  CHECK(s.phone.write(GattChar::ssid, "HomeNet") == AttError::insufficient_authentication);
  // Encrypted without a bond (pairing without key distribution).
  s.phone.set_security(LinkSecurity{true, true, false, false, 16});
  CHECK(s.phone.read(GattChar::pop).error == AttError::insufficient_authentication);
  s.phone.set_security(LinkSecurity{true, true, true, false, 7});
  CHECK(s.phone.read(GattChar::pop).error == AttError::encryption_key_size_too_short);
  s.phone.set_security(LinkSecurity{true, true, true, false, 16});
  CHECK(s.phone.read(GattChar::pop).error == AttError::ok);
}

TEST_CASE("a board that insists on MITM protection refuses a Just Works bond", "[ble]") {
  fw::BleOptions options;
  options.security.require_authenticated = true;
  BleDevice device(options);
  device.boot();
  Phone phone(device);
  phone.connect();
  phone.pair_and_bond();
  CHECK(phone.read(GattChar::pop).error == AttError::insufficient_authentication);
  phone.set_security({true, true, true, true, 16});
  CHECK(phone.read(GattChar::pop).error == AttError::ok);
}

TEST_CASE("the PoP over BLE is the 32 bytes AT+POP? shows, read in several ATT requests at the default MTU",
          "[ble]") {
  Session s;
  const fwtest::ReadOutcome pop = s.phone.read(GattChar::pop);
  REQUIRE(pop.error == AttError::ok);
  REQUIRE(pop.value.size() == 32);
  CHECK(pop.att_requests == 2);  // 22 bytes, then a Read Blob for the last 10
  const Lines at = s.device.send("AT+POP?");
  REQUIRE(at.size() == 2);
  CHECK(at[0] == "+POP:" + fw::to_lower_hex(reinterpret_cast<const std::uint8_t*>(pop.value.data()), 32));
}

TEST_CASE("SSID then password notify 'SSID set' then 'password set', the SSID reads back", "[ble]") {
  Session s;
  REQUIRE(s.phone.write(GattChar::ssid, "HomeNet") == AttError::ok);
  CHECK(s.statuses() == Lines{status_byte(fw::ProvisioningStatus::ssid_set)});
  CHECK(s.phone.read(GattChar::ssid).value == "HomeNet");
  REQUIRE(s.phone.write(GattChar::password, "correct horse battery") == AttError::ok);
  CHECK(s.statuses() == Lines{status_byte(fw::ProvisioningStatus::password_set)});
  CHECK(s.phone.read(GattChar::status).value == status_byte(fw::ProvisioningStatus::password_set));
}

TEST_CASE("oversize and invalid values are refused and notify the error status", "[ble]") {
  Session s;
  CHECK(s.phone.write(GattChar::ssid, std::string(33, 's')) == AttError::invalid_attribute_value_length);
  CHECK(s.statuses() == Lines{status_byte(fw::ProvisioningStatus::error)});
  CHECK(s.phone.write(GattChar::password, std::string(65, 'a')) == AttError::invalid_attribute_value_length);
  CHECK(s.phone.write(GattChar::password, "short") == AttError::value_rejected);  // 8..63 or 64 hex (§5.2)
  CHECK(s.phone.write(GattChar::password, std::string(64, 'z')) == AttError::value_rejected);
  CHECK(s.phone.write(GattChar::ssid, "") == AttError::value_rejected);
  CHECK(s.phone.write(GattChar::ssid, std::string("a\0b", 3)) == AttError::value_rejected);
  CHECK(s.statuses().size() == 5);
  CHECK(s.phone.read(GattChar::ssid).value.empty());  // nothing was taken
  // The limits themselves are fine.
  CHECK(s.phone.write(GattChar::ssid, std::string(32, 's')) == AttError::ok);
  CHECK(s.phone.write(GattChar::password, std::string(64, 'a')) == AttError::ok);
}

TEST_CASE("SAVE stores the network as network 0, notifies 'saved', drops the link and restarts", "[ble]") {
  Session s;
  s.device.send("AT+WIFI_ADD=\"Older\",\"\"");
  REQUIRE(s.phone.write(GattChar::ssid, "HomeNet") == AttError::ok);
  REQUIRE(s.phone.write(GattChar::password, "correct horse battery") == AttError::ok);
  s.statuses();
  CHECK(s.phone.write_byte(GattChar::command, 0x01) == AttError::ok);
  CHECK(s.statuses() == Lines{status_byte(fw::ProvisioningStatus::saved)});
  CHECK(s.device.radio.connected);  // the write response leaves first
  s.device.poll();
  CHECK_FALSE(s.device.radio.connected);
  CHECK(s.device.platform.take_restart() == fw::BootMode::app);
  CHECK_FALSE(s.device.radio.advertising);
  const Lines boot = s.device.boot();
  for (const auto& line : boot) CHECK(line.find("correct horse") == std::string::npos);
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"HomeNet\"", "+WIFI_LIST:1,\"Older\"", "OK"});
  CHECK_FALSE(s.device.radio.advertising);  // WiFi is configured now: no provisioning mode at boot
  CHECK(s.device.platform.pending_ssid() == std::string("HomeNet"));  // and it connects to it
}

TEST_CASE("SAVE without an SSID, and unknown or malformed commands, are refused with the error status", "[ble]") {
  Session s;
  CHECK(s.phone.write_byte(GattChar::command, 0x01) == AttError::no_ssid);
  CHECK(s.phone.write_byte(GattChar::command, 0x07) == AttError::unknown_command);
  CHECK(s.phone.write_byte(GattChar::command, 0x00) == AttError::unknown_command);
  CHECK(s.phone.write(GattChar::command, "") == AttError::invalid_attribute_value_length);
  CHECK(s.phone.write(GattChar::command, fwtest::bytes({0x01, 0x01})) == AttError::invalid_attribute_value_length);
  CHECK(s.statuses() == Lines(5, status_byte(fw::ProvisioningStatus::error)));
  s.device.poll();
  CHECK_FALSE(s.device.platform.take_restart());
  CHECK(s.device.radio.connected);
}

TEST_CASE("SAVE of a new network while 8 are saved is refused with list_full", "[ble]") {
  Session s;
  for (int i = 0; i < 8; ++i) REQUIRE(s.device.send("AT+WIFI_ADD=\"net" + std::to_string(i) + "\",\"\"") == Lines{"OK"});
  REQUIRE(s.phone.write(GattChar::ssid, "Ninth") == AttError::ok);
  CHECK(s.phone.write_byte(GattChar::command, 0x01) == AttError::list_full);
  // A saved one is moved to the front instead.
  REQUIRE(s.phone.write(GattChar::ssid, "net5") == AttError::ok);
  CHECK(s.phone.write_byte(GattChar::command, 0x01) == AttError::ok);
  CHECK(s.device.send("AT+WIFI_LIST?").at(0) == "+WIFI_LIST:0,\"net5\"");
}

TEST_CASE("a flash that refuses the write fails SAVE with flash_failed and keeps the list", "[ble]") {
  Session s;
  REQUIRE(s.phone.write(GattChar::ssid, "HomeNet") == AttError::ok);
  s.device.platform.fail_flash_writes(true);
  CHECK(s.phone.write_byte(GattChar::command, 0x01) == AttError::flash_failed);
  s.device.platform.fail_flash_writes(false);
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"OK"});
  s.device.poll();
  CHECK_FALSE(s.device.platform.take_restart());
}

TEST_CASE("RESET WiFi forgets the networks and the pending SSID but keeps the link", "[ble]") {
  Session s;
  s.device.send("AT+WIFI_ADD=\"Older\",\"\"");
  REQUIRE(s.phone.write(GattChar::ssid, "HomeNet") == AttError::ok);
  s.statuses();
  CHECK(s.phone.write_byte(GattChar::command, 0x02) == AttError::ok);
  CHECK(s.statuses() == Lines{status_byte(fw::ProvisioningStatus::ready)});
  s.device.poll();
  CHECK(s.device.radio.connected);
  CHECK_FALSE(s.device.platform.take_restart());
  CHECK(s.phone.read(GattChar::ssid).value.empty());
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"OK"});
  CHECK(s.device.radio.bond_erasures == 0);
}

TEST_CASE("FACTORY_RESET wipes the networks and bonds, keeps the PoP and restarts into provisioning mode",
          "[ble]") {
  Session s;
  const std::string pop = s.phone.read(GattChar::pop).value;
  s.device.send("AT+WIFI_ADD=\"Older\",\"\"");
  s.statuses();
  CHECK(s.phone.write_byte(GattChar::command, 0x03) == AttError::ok);
  CHECK(s.statuses() == Lines{status_byte(fw::ProvisioningStatus::ready)});
  s.device.poll();
  CHECK_FALSE(s.device.radio.connected);
  CHECK(s.device.radio.bonded_peers.empty());
  CHECK(s.device.platform.take_restart() == fw::BootMode::app);
  s.device.boot();
  CHECK(s.device.radio.advertising);
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"OK"});
  // The old bond is gone: the phone must pair again, and then reads the same PoP.
  s.phone.connect();
  CHECK_FALSE(s.phone.encrypt_with_stored_keys());
  CHECK(s.phone.read(GattChar::pop).error == AttError::insufficient_authentication);
  s.phone.pair_and_bond();
  CHECK(s.phone.read(GattChar::pop).value == pop);
}

TEST_CASE("after FACTORY_RESET the next boot advertises even when prov still names a network, once", "[ble]") {
  BleDevice device;
  {
    fw::nvs::NvsStore prov(device.platform, 0x3F0000, 0x10000);
    REQUIRE(prov.load());
    REQUIRE(prov.set_string("provision", "wifi_ssid", "Factory-Line-3"));
    REQUIRE(prov.set_string("provision", "wifi_password", "Tr0ub4dor&3-Secure!"));
  }
  device.boot();
  CHECK_FALSE(device.radio.advertising);  // prov's network counts as configured WiFi
  device.firmware->on_button(true);
  device.advance_ms(3000);
  Phone phone(device);
  phone.connect();
  phone.pair_and_bond();
  REQUIRE(phone.write_byte(fw::GattChar::command, 0x03) == AttError::ok);
  device.poll();
  device.boot();
  CHECK(device.radio.advertising);
  device.boot();
  CHECK_FALSE(device.radio.advertising);  // a plain reboot follows the rule again
}

TEST_CASE("a bonded phone that reconnects resumes encryption and needs no new pairing", "[ble]") {
  Session s;
  s.phone.disconnect();
  REQUIRE(s.device.radio.advertising);
  s.phone.connect();
  CHECK(s.phone.read(GattChar::pop).error == AttError::insufficient_encryption);
  REQUIRE(s.phone.encrypt_with_stored_keys());
  CHECK(s.phone.read(GattChar::pop).error == AttError::ok);
}

TEST_CASE("an SSID written before a disconnect is still pending after reconnecting, and SAVE uses it", "[ble]") {
  Session s;
  REQUIRE(s.phone.write(GattChar::ssid, "HomeNet") == AttError::ok);
  s.phone.disconnect();
  s.phone.connect();
  REQUIRE(s.phone.encrypt_with_stored_keys());
  CHECK(s.phone.read(GattChar::ssid).value == "HomeNet");
  REQUIRE(s.phone.write(GattChar::password, "correct horse battery") == AttError::ok);
  REQUIRE(s.phone.write_byte(GattChar::command, 0x01) == AttError::ok);
  s.device.poll();
  s.device.boot();
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"HomeNet\"", "OK"});
}

TEST_CASE("status notifications reach only a subscribed phone, the value is readable either way", "[ble]") {
  BleDevice device;
  device.boot();
  Phone phone(device);
  phone.connect();
  phone.pair_and_bond();
  REQUIRE(phone.write(GattChar::ssid, "HomeNet") == AttError::ok);
  CHECK(phone.take_notifications(GattChar::status).empty());
  CHECK(phone.read(GattChar::status).value == status_byte(fw::ProvisioningStatus::ssid_set));
}

}  // namespace ble_gatt_test
