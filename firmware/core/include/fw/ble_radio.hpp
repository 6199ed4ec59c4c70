// The BLE half of the port layer: what a platform with a Bluetooth LE controller provides to the core (advertise,
// notify, drop the link, forget bonds). The ESP-IDF port implements it with NimBLE (firmware/esp-idf/main/
// esp_ble.cpp); the host tests with a simulated link. Events travel the other way, into fw::BleProvisioning.
// C++17, no ESP-IDF headers.
#pragma once

#include <string>

#include "fw/provisioning_gatt.hpp"

namespace fw {

class BleRadio {
 public:
  virtual ~BleRadio() = default;

  // Connectable undirected advertising with the complete local name and the service UUID; stopped by
  // stop_advertising() or by a connection (one connection at a time: the stack stops advertising itself).
  virtual void start_advertising(const std::string& name) = 0;
  virtual void stop_advertising() = 0;
  // A notification of `value` on the characteristic to the connected peer, if it subscribed (CCCD). The value
  // fits the link's ATT MTU (the core fragments longer messages). False when the stack could not queue it.
  virtual bool notify(GattChar characteristic, const std::string& value) = 0;
  // Ends the connection (HCI reason 0x13, remote user terminated); BleProvisioning::on_disconnected follows.
  virtual void disconnect() = 0;
  // Forgets every bonded peer (factory reset: the previous owner's phone can no longer reconnect encrypted).
  virtual void erase_bonds() = 0;
};

}  // namespace fw
