// The firmware core's entry point. A port creates one Firmware over its Platform, calls boot() after every
// (re)start into app mode, feeds console bytes and radio events as they arrive, and calls poll() regularly
// (every few ms) for timers. All calls come from one thread.
#pragma once

#include <memory>
#include <string_view>

#include "fw/mqtt_client.hpp"
#include "fw/platform.hpp"

namespace fw {
class BleProvisioning;
class BleRadio;
struct BleOptions;
}  // namespace fw

namespace fw {

struct FirmwareInfo {
  const char* name = "espprov-fw";
  const char* version = "1.0.0";
  // Improv serial: the URL sent to the client after provisioning; empty for none.
  const char* improv_redirect_url = "";
};

class Firmware {
 public:
  explicit Firmware(Platform& platform, FirmwareInfo info = {});
  ~Firmware();
  Firmware(const Firmware&) = delete;
  Firmware& operator=(const Firmware&) = delete;

  // Loads state from flash (partition table, credentials partition, own NVS), generates the PoP on first boot,
  // prints boot logs then "+READY", and starts connecting to saved networks.
  void boot();
  // A port with a BLE controller attaches it once, before the first boot(); every boot then runs BLE provisioning
  // (fw/ble_provisioning.hpp) next to the console. The port forwards its stack's events to ble().
  void attach_ble(BleRadio& radio, const BleOptions& options);
  BleProvisioning* ble();        // null without an attached radio or before boot()
  void on_button(bool pressed);  // the BOOT button's level
  void on_console_bytes(std::string_view bytes);
  void on_wifi_event(const WifiEvent& event);
  void on_mqtt_event(const MqttEvent& event);  // from the port's MqttClient
  void poll();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fw
