// BLE provisioning on a port with a Bluetooth LE controller: the provisioning mode (when to advertise) and the
// GATT adapter (what a connected phone may do), wired to the port's BleRadio. The port forwards its stack's
// events here, on the core's one thread, and calls poll() with Firmware::poll().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fw/ble_radio.hpp"
#include "fw/nvs_store.hpp"
#include "fw/platform.hpp"
#include "fw/provisioning_gatt.hpp"
#include "fw/provisioning_mode.hpp"
#include "fw/provisioning_service.hpp"

namespace fw {

struct BleOptions {
  std::string device_name = "LED_WiFi_Config";  // seed 002's advertised name, which apps in the field look for
  ProvisioningModeConfig mode;
  gatt::SecurityPolicy security;
};

// NVS (own partition): a factory reset leaves this set so the next boot enters provisioning mode even when the
// station's `prov` partition still names a network; the boot that sees it erases it.
constexpr const char* kBleNamespace = "ble";
constexpr const char* kProvisioningAtBootKey = "prov_boot";

class BleProvisioning {
 public:
  BleProvisioning(Platform& platform, ProvisioningService& service, nvs::NvsStore* store, BleRadio& radio,
                  BleOptions options);

  // Enters provisioning mode when no WiFi is configured (no saved network and no usable `wifi_ssid` in `prov`)
  // or the previous run's factory reset asked for it.
  void boot();
  void on_button(bool pressed);  // the BOOT button's level, true while held down

  void on_connected();
  void on_disconnected();
  void on_mtu_changed(std::uint16_t mtu) { gatt_.on_mtu_changed(mtu); }
  void on_subscribe(GattChar characteristic, bool notifications) { gatt_.on_subscribe(characteristic, notifications); }
  AttRead read(GattChar characteristic, const gatt::LinkSecurity& link) { return gatt_.read(characteristic, link); }
  gatt::AttError write(GattChar characteristic, std::string_view value, const gatt::LinkSecurity& link) {
    return gatt_.write(characteristic, value, link);
  }

  // Timers, queued notifications, and what a command asked for once its write response has left.
  void poll();

  ProvisioningGatt& gatt() { return gatt_; }
  const ProvisioningMode& mode() const { return mode_; }
  const BleOptions& options() const { return options_; }

 private:
  bool wifi_configured() const;
  void apply(ModeAction action);
  void run(DeferredAction action);

  Platform& platform_;
  ProvisioningService& service_;
  nvs::NvsStore* store_;
  BleRadio& radio_;
  BleOptions options_;
  ProvisioningMode mode_;
  ProvisioningGatt gatt_;
};

}  // namespace fw
