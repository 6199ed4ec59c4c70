#include "firmware/ble_link.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

namespace fwtest {

using fw::GattChar;

void SimulatedBleRadio::start_advertising(const std::string& name) {
  REQUIRE_FALSE(connected);  // one connection at a time: the firmware never advertises while connected
  advertising = true;
  advertised_name = name;
  ++advertising_starts;
}

bool SimulatedBleRadio::notify(GattChar characteristic, const std::string& value) {
  REQUIRE(connected);
  REQUIRE(value.size() <= mtu - fw::gatt::kNotificationHeaderBytes);  // ATT_HANDLE_VALUE_NTF carries MTU-3 bytes
  if (refuse_notifications) return false;
  if (subscribed.count(characteristic)) notifications.push_back({characteristic, value});
  return true;
}

void SimulatedBleRadio::erase_bonds() {
  bonded_peers.clear();
  ++bond_erasures;
}

BleDevice::BleDevice(fw::BleOptions opts) : options(std::move(opts)) {}

std::vector<std::string> BleDevice::boot() {
  radio.advertising = false;
  radio.connected = false;  // a restart drops the link
  radio.subscribed.clear();
  firmware = std::make_unique<fw::Firmware>(platform);
  firmware->attach_ble(radio, options);
  firmware->boot();
  return split_lines(platform.take_console());
}

fw::BleProvisioning& BleDevice::ble() {
  REQUIRE(firmware->ble());
  return *firmware->ble();
}

void BleDevice::poll() {
  firmware->poll();
  if (radio.terminate_requested) {
    radio.terminate_requested = false;
    if (radio.connected) {
      radio.connected = false;
      radio.subscribed.clear();
      radio.mtu = fw::gatt::kDefaultAttMtu;
      ble().on_disconnected();
    }
  }
}

void BleDevice::advance_ms(std::uint64_t ms) {
  for (std::uint64_t done = 0; done < ms; done += 10) {
    platform.advance_ms(std::min<std::uint64_t>(10, ms - done));
    poll();
  }
}

std::vector<std::string> BleDevice::send(const std::string& line) {
  firmware->on_console_bytes(line + "\r\n");
  return split_lines(platform.take_console());
}

void Phone::connect() {
  REQUIRE(device_.radio.advertising);
  REQUIRE_FALSE(device_.radio.connected);
  device_.radio.advertising = false;  // the controller stops advertising when the connection is made
  device_.radio.connected = true;
  device_.radio.mtu = fw::gatt::kDefaultAttMtu;
  security_ = {};
  // A phone that bonded before comes back with its keys: the link is encrypted once it asks for it.
  security_.bonded = device_.radio.bonded_peers.count(address_) > 0;
  device_.ble().on_connected();
}

void Phone::pair_and_bond() {
  security_ = {true, true, true, false, fw::gatt::kFullKeySizeBytes};
  device_.radio.bonded_peers.insert(address_);
}

bool Phone::encrypt_with_stored_keys() {
  if (!device_.radio.bonded_peers.count(address_)) return false;  // the device lost the bond: PIN or key missing
  security_ = {true, true, true, false, fw::gatt::kFullKeySizeBytes};
  return true;
}

void Phone::exchange_mtu(std::uint16_t client_mtu) {
  const std::uint16_t server_mtu = 247;  // what the port configures (CONFIG_BT_NIMBLE_ATT_PREFERRED_MTU)
  device_.radio.mtu = std::min(client_mtu, server_mtu);
  device_.ble().on_mtu_changed(device_.radio.mtu);
}

void Phone::subscribe(GattChar characteristic) {
  REQUIRE((fw::characteristic_spec(characteristic).properties & fw::kPropNotify) != 0);
  device_.radio.subscribed.insert(characteristic);
  device_.ble().on_subscribe(characteristic, true);
}

void Phone::disconnect() {
  REQUIRE(device_.radio.connected);
  device_.radio.connected = false;
  device_.radio.subscribed.clear();
  device_.ble().on_disconnected();
}

ReadOutcome Phone::read(GattChar characteristic) {
  REQUIRE(device_.radio.connected);
  ReadOutcome outcome;
  const fw::AttRead whole = device_.ble().read(characteristic, security_);
  outcome.att_requests = 1;
  outcome.error = whole.error;
  if (whole.error != fw::gatt::AttError::ok) return outcome;
  // The stack answers each request from the value at its offset; a full response means there may be more.
  const std::size_t per_response = device_.radio.mtu - 1u;
  std::size_t offset = 0;
  while (true) {
    const std::string chunk = whole.value.substr(std::min(offset, whole.value.size()), per_response);
    outcome.value += chunk;
    offset += chunk.size();
    if (chunk.size() < per_response) break;
    ++outcome.att_requests;  // Read Blob Request at `offset`
  }
  return outcome;
}

fw::gatt::AttError Phone::write(GattChar characteristic, const std::string& value) {
  REQUIRE(device_.radio.connected);
  REQUIRE(value.size() <= fw::gatt::kMaxAttributeBytes);
  return device_.ble().write(characteristic, value, security_);
}

std::vector<std::string> Phone::take_notifications(GattChar characteristic) {
  std::vector<std::string> out;
  auto& all = device_.radio.notifications;
  for (auto it = all.begin(); it != all.end();) {
    if (it->characteristic == characteristic) {
      out.push_back(it->value);
      it = all.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<std::string> Phone::fragment(const std::string& message) const {
  const std::size_t payload = device_.radio.mtu - 3u - 1u;
  std::vector<std::string> out;
  std::size_t at = 0;
  int sequence = 0;
  do {
    const std::size_t take = std::min(payload, message.size() - at);
    const bool more = at + take < message.size();
    out.push_back(std::string(1, static_cast<char>((more ? 0x80 : 0) | (sequence & 0x7F))) + message.substr(at, take));
    at += take;
    ++sequence;
  } while (at < message.size());
  return out;
}

std::optional<std::string> Phone::join(const std::vector<std::string>& fragments) {
  std::string message;
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    if (fragments[i].empty()) return std::nullopt;
    const auto header = static_cast<std::uint8_t>(fragments[i][0]);
    if ((header & 0x7F) != (i & 0x7F)) return std::nullopt;
    const bool last = i + 1 == fragments.size();
    if (((header & 0x80) == 0) != last) return std::nullopt;
    message += fragments[i].substr(1);
  }
  return message;
}

std::string Phone::request(const std::string& message) {
  for (const auto& piece : fragment(message)) REQUIRE(write(GattChar::network_request, piece) == fw::gatt::AttError::ok);
  const auto fragments = take_notifications(GattChar::network_response);
  last_response_fragments = static_cast<int>(fragments.size());
  const auto joined = join(fragments);
  REQUIRE(joined);
  return *joined;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string tlv(std::uint8_t type, const std::string& value) {
  return std::string{static_cast<char>(type), static_cast<char>(value.size())} + value;
}

}  // namespace fwtest
