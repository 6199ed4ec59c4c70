#include "fw/provisioning_gatt.hpp"

#include <algorithm>

#include "fw/ble_network_ops.hpp"
#include "fw/ble_radio.hpp"

namespace fw {
namespace {

using gatt::AttError;

constexpr std::size_t kMacBytes = 6;
constexpr std::size_t kMaxSsidBytes = 32;
constexpr std::size_t kMaxPasswordBytes = 64;  // a raw PSK as 64 hex digits
constexpr std::size_t kCommandBytes = 1;

// Seed 002's service UUID; its characteristics replace the last byte (0xF0 MAC, 0xF1 PoP, ...). The MAC keeps
// 0xF0, the service's own last byte, as the apps in the field expect (PROTOCOL.md §7.1 says why that is legal).
constexpr std::array<std::uint8_t, 16> kServiceUuidBytes = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                                            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};

gatt::Uuid128 with_last_byte(std::uint8_t last) {
  gatt::Uuid128 uuid{kServiceUuidBytes};
  uuid.bytes[15] = last;
  return uuid;
}

}  // namespace

gatt::Uuid128 provisioning_service_uuid() { return gatt::Uuid128{kServiceUuidBytes}; }

const std::vector<CharacteristicSpec>& provisioning_characteristics() {
  static const std::vector<CharacteristicSpec> table = {
      {GattChar::mac, "mac", with_last_byte(0xF0), kPropRead, false, 0},
      {GattChar::pop, "pop", with_last_byte(0xF1), kPropRead, true, 0},
      {GattChar::ssid, "ssid", with_last_byte(0xF2), kPropRead | kPropWrite, true, kMaxSsidBytes},
      {GattChar::password, "password", with_last_byte(0xF3), kPropWrite, true, kMaxPasswordBytes},
      {GattChar::status, "status", with_last_byte(0xF4), kPropRead | kPropNotify, false, 0},
      {GattChar::command, "command", with_last_byte(0xF5), kPropWrite, true, kCommandBytes},
      {GattChar::network_request, "network_request", with_last_byte(0xF6), kPropWrite, true,
       gatt::kMaxAttributeBytes},
      {GattChar::network_response, "network_response", with_last_byte(0xF7), kPropRead | kPropNotify, true, 0},
  };
  return table;
}

const CharacteristicSpec& characteristic_spec(GattChar id) {
  const auto& table = provisioning_characteristics();
  return *std::find_if(table.begin(), table.end(), [id](const CharacteristicSpec& spec) { return spec.id == id; });
}

ProvisioningGatt::ProvisioningGatt(Platform& platform, ProvisioningService& service, BleRadio& radio,
                                   gatt::SecurityPolicy policy)
    : platform_(platform), service_(service), radio_(radio), policy_(policy) {}

void ProvisioningGatt::on_connected() {
  on_disconnected();
  connected_ = true;
}

void ProvisioningGatt::on_disconnected() {
  connected_ = false;
  link_verified_ = false;
  status_subscribed_ = false;
  responses_subscribed_ = false;
  mtu_ = gatt::kDefaultAttMtu;
  requests_.reset();  // a request cut off by the disconnect is dropped, never completed by the next link
  response_fragments_.clear();
}

void ProvisioningGatt::on_mtu_changed(std::uint16_t mtu) { mtu_ = std::max(mtu, gatt::kDefaultAttMtu); }

void ProvisioningGatt::on_subscribe(GattChar characteristic, bool notifications) {
  if (characteristic == GattChar::status) status_subscribed_ = notifications;
  if (characteristic == GattChar::network_response) {
    responses_subscribed_ = notifications;
    flush_responses();
  }
}

AttRead ProvisioningGatt::read(GattChar characteristic, const gatt::LinkSecurity& link) {
  const CharacteristicSpec& spec = characteristic_spec(characteristic);
  if (!(spec.properties & kPropRead)) return {AttError::read_not_permitted, {}};
  if (spec.protected_access) {
    if (AttError error = gatt::check_link_security(link, policy_); error != AttError::ok) return {error, {}};
    link_verified_ = true;
  }
  switch (characteristic) {
    case GattChar::mac: {
      const auto mac = platform_.factory_mac();
      return {AttError::ok, std::string(mac.begin(), mac.end())};
    }
    case GattChar::pop: {
      const auto& pop = service_.pop();
      return {AttError::ok, std::string(pop.begin(), pop.end())};
    }
    case GattChar::ssid: return {AttError::ok, service_.pending_ssid().value_or("")};
    case GattChar::status: return {AttError::ok, std::string(1, static_cast<char>(status_))};
    case GattChar::network_response: {
      // A client that did not subscribe pulls the response one fragment per read; empty when none is waiting.
      if (response_fragments_.empty()) return {AttError::ok, {}};
      std::string next = std::move(response_fragments_.front());
      response_fragments_.pop_front();
      return {AttError::ok, std::move(next)};
    }
    default: return {AttError::read_not_permitted, {}};
  }
}

AttError ProvisioningGatt::write(GattChar characteristic, std::string_view value, const gatt::LinkSecurity& link) {
  const CharacteristicSpec& spec = characteristic_spec(characteristic);
  if (!(spec.properties & kPropWrite)) return AttError::write_not_permitted;
  // A peer that has not paired is refused before its bytes are looked at: it cannot even set the error status.
  if (spec.protected_access) {
    if (AttError error = gatt::check_link_security(link, policy_); error != AttError::ok) return error;
    link_verified_ = true;
  }
  if (value.size() > spec.max_write_bytes) return refuse(AttError::invalid_attribute_value_length);
  switch (characteristic) {
    case GattChar::ssid: return write_ssid(value);
    case GattChar::password: return write_password(value);
    case GattChar::command: return write_command(value);
    case GattChar::network_request: return write_network_request(value);
    default: return AttError::write_not_permitted;
  }
}

AttError ProvisioningGatt::write_ssid(std::string_view value) {
  if (service_.set_pending_ssid(std::string(value)) != Outcome::ok) return refuse(AttError::value_rejected);
  set_status(ProvisioningStatus::ssid_set);
  return AttError::ok;
}

AttError ProvisioningGatt::write_password(std::string_view value) {
  if (service_.set_pending_password(std::string(value)) != Outcome::ok) return refuse(AttError::value_rejected);
  set_status(ProvisioningStatus::password_set);
  return AttError::ok;
}

AttError ProvisioningGatt::write_command(std::string_view value) {
  if (value.size() != kCommandBytes) return refuse(AttError::invalid_attribute_value_length);
  switch (static_cast<GattCommand>(value[0])) {
    case GattCommand::save:
      switch (service_.save_pending()) {
        case Outcome::ok: break;
        case Outcome::no_ssid: return refuse(AttError::no_ssid);
        case Outcome::list_full: return refuse(AttError::list_full);
        default: return refuse(AttError::flash_failed);
      }
      set_status(ProvisioningStatus::saved);
      deferred_ = DeferredAction::save_and_restart;
      return AttError::ok;
    case GattCommand::reset_wifi:
    case GattCommand::factory_reset: {
      if (service_.factory_reset() != Outcome::ok) return refuse(AttError::flash_failed);
      set_status(ProvisioningStatus::ready);
      if (static_cast<GattCommand>(value[0]) == GattCommand::factory_reset) deferred_ = DeferredAction::factory_reset;
      return AttError::ok;
    }
  }
  return refuse(AttError::unknown_command);
}

AttError ProvisioningGatt::write_network_request(std::string_view value) {
  switch (requests_.feed(value)) {
    case blemsg::Reassembler::Result::incomplete: break;
    case blemsg::Reassembler::Result::complete:
      queue_response(handle_network_request(service_, requests_.take_message()));
      break;
    case blemsg::Reassembler::Result::out_of_sequence:
      queue_response(network_error_response(blemsg::Status::sequence));
      break;
    case blemsg::Reassembler::Result::too_long:
      queue_response(network_error_response(blemsg::Status::too_long));
      break;
  }
  return AttError::ok;  // the outcome travels in the response message, which may be fragmented
}

DeferredAction ProvisioningGatt::take_deferred_action() {
  const DeferredAction action = deferred_;
  deferred_ = DeferredAction::none;
  return action;
}

AttError ProvisioningGatt::refuse(AttError error) {
  set_status(ProvisioningStatus::error);
  return error;
}

void ProvisioningGatt::set_status(ProvisioningStatus status) {
  status_ = status;
  if (connected_ && status_subscribed_) radio_.notify(GattChar::status, std::string(1, static_cast<char>(status)));
}

std::size_t ProvisioningGatt::fragment_bytes() const {
  return std::min<std::size_t>(mtu_ - gatt::kNotificationHeaderBytes, gatt::kMaxAttributeBytes);
}

void ProvisioningGatt::queue_response(const std::string& message) {
  for (auto& piece : blemsg::fragment(message, fragment_bytes())) response_fragments_.push_back(std::move(piece));
  flush_responses();
}

void ProvisioningGatt::flush_responses() {
  while (connected_ && responses_subscribed_ && !response_fragments_.empty()) {
    if (!radio_.notify(GattChar::network_response, response_fragments_.front())) return;  // retried by poll
    response_fragments_.pop_front();
  }
}

// WiFi results (of a SELECT, or a dropped connection) reach a subscribed client as WIFI_EVENT messages, but only
// on a link that has passed the security check: the stack lets anyone subscribe (CCCD writes need no pairing),
// and an event names the network and the address.
bool ProvisioningGatt::wants_events() const { return connected_ && responses_subscribed_ && link_verified_; }

void ProvisioningGatt::on_wifi_connected(const std::string&, int) {
  if (wants_events()) queue_response(encode_wifi_event(service_.status(), nullptr));
}

void ProvisioningGatt::on_wifi_failed(WifiFailure failure) {
  if (wants_events()) queue_response(encode_wifi_event(service_.status(), &failure));
}

void ProvisioningGatt::on_wifi_disconnected() {
  if (wants_events()) queue_response(encode_wifi_event(service_.status(), nullptr));
}

}  // namespace fw
