// A simulated BLE link for host tests of the firmware's BLE provisioning: the peripheral's radio (fw::BleRadio,
// as NimBLE would run it: advertising, one connection, notifications to subscribed characteristics, bonds) and a
// phone on the other end that connects, pairs, exchanges the MTU and reads and writes by ATT rules (a read
// returns at most MTU-1 bytes and longer values take Read Blob requests; a notification carries at most MTU-3).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "firmware/memory_platform.hpp"
#include "fw/ble_provisioning.hpp"
#include "fw/firmware.hpp"

namespace fwtest {

struct Notification {
  fw::GattChar characteristic;
  std::string value;
};

class SimulatedBleRadio : public fw::BleRadio {
 public:
  void start_advertising(const std::string& name) override;
  void stop_advertising() override { advertising = false; }
  bool notify(fw::GattChar characteristic, const std::string& value) override;
  void disconnect() override { terminate_requested = true; }
  void erase_bonds() override;

  bool advertising = false;
  std::string advertised_name;
  int advertising_starts = 0;
  bool connected = false;
  bool terminate_requested = false;
  std::uint16_t mtu = fw::gatt::kDefaultAttMtu;
  std::set<fw::GattChar> subscribed;
  std::vector<Notification> notifications;
  std::set<std::string> bonded_peers;
  int bond_erasures = 0;
  bool refuse_notifications = false;  // the stack is out of buffers
};

struct ReadOutcome {
  fw::gatt::AttError error = fw::gatt::AttError::ok;
  std::string value;
  int att_requests = 0;  // Read Request + Read Blob Requests it took
};

// A board with BLE: platform, radio and a Firmware booted with the radio attached.
class BleDevice {
 public:
  explicit BleDevice(fw::BleOptions options = {});
  MemoryPlatform platform;
  SimulatedBleRadio radio;
  fw::BleOptions options;
  std::unique_ptr<fw::Firmware> firmware;

  std::vector<std::string> boot();
  fw::BleProvisioning& ble();
  // Runs the firmware's poll, then lets the stack finish a termination the firmware asked for.
  void poll();
  void advance_ms(std::uint64_t ms);  // in 10 ms steps with a poll each, as the port's main loop runs
  std::vector<std::string> send(const std::string& line);  // an AT line on the console
};

// The phone.
class Phone {
 public:
  explicit Phone(BleDevice& device, std::string address = "5c:f3:70:11:22:33") : device_(device), address_(address) {}

  void connect();  // requires advertising
  // LE Secure Connections, Just Works, bonding: what an iPhone or Android phone does with a NoInputNoOutput device.
  void pair_and_bond();
  // A bonded phone reconnecting starts encryption with the stored long-term key; false when the device has none.
  bool encrypt_with_stored_keys();
  void set_security(const fw::gatt::LinkSecurity& security) { security_ = security; }
  void exchange_mtu(std::uint16_t client_mtu);
  void subscribe(fw::GattChar characteristic);
  void disconnect();

  ReadOutcome read(fw::GattChar characteristic);
  // A Write Request, or a long write (prepared writes) for a value over MTU-3, as phone stacks do on their own.
  fw::gatt::AttError write(fw::GattChar characteristic, const std::string& value);
  fw::gatt::AttError write_byte(fw::GattChar characteristic, std::uint8_t byte) {
    return write(characteristic, std::string(1, static_cast<char>(byte)));
  }

  std::vector<std::string> take_notifications(fw::GattChar characteristic);

  // Network management: splits `message` into fragments of MTU-3 bytes, writes them, and joins the response
  // fragments notified on network_response (fragment format of PROTOCOL.md §7.5, parsed here independently).
  std::string request(const std::string& message);
  std::vector<std::string> fragment(const std::string& message) const;
  static std::optional<std::string> join(const std::vector<std::string>& fragments);
  int last_response_fragments = 0;

  const fw::gatt::LinkSecurity& security() const { return security_; }

 private:
  BleDevice& device_;
  std::string address_;
  fw::gatt::LinkSecurity security_;
};

std::string bytes(std::initializer_list<int> values);
std::string tlv(std::uint8_t type, const std::string& value);

}  // namespace fwtest
