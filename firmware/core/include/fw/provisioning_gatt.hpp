// The provisioning service's GATT adapter (PROTOCOL.md §7): seed 002's characteristics (MAC, PoP, SSID, password,
// status, command) plus a request/response pair for seed 000's network management, as a table a BLE stack builds
// its service from, and the reads and writes on them as calls on ProvisioningService. Protected characteristics
// answer only on an encrypted, bonded LE Secure Connections link (gatt::check_link_security).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fw/ble_messages.hpp"
#include "fw/gatt.hpp"
#include "fw/platform.hpp"
#include "fw/provisioning_service.hpp"

namespace fw {

class BleRadio;

enum class GattChar { mac, pop, ssid, password, status, command, network_request, network_response };

// Characteristic properties (Core 5.3 Vol 3 Part G §3.3.1.1).
constexpr std::uint8_t kPropRead = 0x02;
constexpr std::uint8_t kPropWrite = 0x08;
constexpr std::uint8_t kPropNotify = 0x10;

struct CharacteristicSpec {
  GattChar id;
  const char* name;
  gatt::Uuid128 uuid;
  std::uint8_t properties;
  bool protected_access;  // reads and writes need a secure link (§7.3)
  std::size_t max_write_bytes;
};

// 12345678-9abc-def0-1234-56789abcdef0. The characteristics are this UUID with its last byte replaced (§7.1).
gatt::Uuid128 provisioning_service_uuid();
const std::vector<CharacteristicSpec>& provisioning_characteristics();
const CharacteristicSpec& characteristic_spec(GattChar id);

// The status characteristic's values (seed 002).
enum class ProvisioningStatus : std::uint8_t { ready = 0x00, ssid_set = 0x01, password_set = 0x02, saved = 0x03,
                                               error = 0xFF };
enum class GattCommand : std::uint8_t { save = 0x01, reset_wifi = 0x02, factory_reset = 0x03 };

// What a command asks the device to do once the write's response has left (the link must outlive the response).
enum class DeferredAction { none, save_and_restart, factory_reset };

struct AttRead {
  gatt::AttError error = gatt::AttError::ok;
  std::string value;  // the whole value; the stack serves Read Blob offsets from it
};

class ProvisioningGatt : public WifiListener {
 public:
  ProvisioningGatt(Platform& platform, ProvisioningService& service, BleRadio& radio, gatt::SecurityPolicy policy);

  // Per-link state (subscriptions, MTU, a half-received request) starts fresh with each connection. The pending
  // SSID/password and the status are device state, shared with the AT console, and survive a disconnect.
  void on_connected();
  void on_disconnected();
  void on_mtu_changed(std::uint16_t mtu);
  void on_subscribe(GattChar characteristic, bool notifications);

  AttRead read(GattChar characteristic, const gatt::LinkSecurity& link);
  gatt::AttError write(GattChar characteristic, std::string_view value, const gatt::LinkSecurity& link);

  DeferredAction take_deferred_action();
  ProvisioningStatus status() const { return status_; }
  // Sends queued response fragments the stack could not take before.
  void flush_responses();

  void on_wifi_connected(const std::string& ip, int rssi_dbm) override;
  void on_wifi_failed(WifiFailure failure) override;
  void on_wifi_disconnected() override;

 private:
  gatt::AttError write_ssid(std::string_view value);
  gatt::AttError write_password(std::string_view value);
  gatt::AttError write_command(std::string_view value);
  gatt::AttError write_network_request(std::string_view value);
  gatt::AttError refuse(gatt::AttError error);  // sets and notifies the error status
  void set_status(ProvisioningStatus status);
  void queue_response(const std::string& message);
  std::size_t fragment_bytes() const;
  bool wants_events() const;

  Platform& platform_;
  ProvisioningService& service_;
  BleRadio& radio_;
  gatt::SecurityPolicy policy_;
  ProvisioningStatus status_ = ProvisioningStatus::ready;
  DeferredAction deferred_ = DeferredAction::none;
  bool connected_ = false;
  // A protected access passed the security check on this link. LE links never lose encryption without
  // disconnecting, so it stays true until the link ends.
  bool link_verified_ = false;
  bool status_subscribed_ = false;
  bool responses_subscribed_ = false;
  std::uint16_t mtu_ = gatt::kDefaultAttMtu;
  blemsg::Reassembler requests_{blemsg::kMaxRequestBytes};
  std::deque<std::string> response_fragments_;
};

}  // namespace fw
