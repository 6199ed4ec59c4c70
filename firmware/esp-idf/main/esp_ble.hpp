// The ESP-IDF port of fw::BleRadio on NimBLE: the provisioning GATT service built from the core's table
// (fw::provisioning_characteristics), GAP advertising, LE Secure Connections bonding (Just Works: the board has
// no display or keypad), and the stack's callbacks forwarded to fw::BleProvisioning. NimBLE runs its host on its
// own task; every call into the core takes the core lock that app_main's loop holds around its own core calls,
// so the core still sees one caller at a time (fw/firmware.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "fw/ble_radio.hpp"
#include "fw/firmware.hpp"

class EspBle : public fw::BleRadio {
 public:
  // `core_lock` is the recursive mutex (xSemaphoreCreateRecursiveMutex) app_main holds around every core call.
  EspBle(fw::Firmware& firmware, SemaphoreHandle_t core_lock);

  // Initialises NimBLE, registers the service and starts the host task. Call once before Firmware::boot().
  void start();

  void start_advertising(const std::string& name) override;
  void stop_advertising() override;
  bool notify(fw::GattChar characteristic, const std::string& value) override;
  void disconnect() override;
  void erase_bonds() override;

 private:
  static constexpr std::size_t kCharacteristics = 8;

  static int on_gap_event(struct ble_gap_event* event, void* self);
  static int on_access(std::uint16_t conn_handle, std::uint16_t attr_handle, struct ble_gatt_access_ctxt* ctxt,
                       void* arg);
  static void on_sync();
  static void host_task(void* param);

  void build_service();
  void advertise_now();
  fw::gatt::LinkSecurity link_security(std::uint16_t conn_handle) const;
  int index_of_handle(std::uint16_t attr_handle) const;

  fw::Firmware& firmware_;
  SemaphoreHandle_t core_lock_;
  bool synced_ = false;
  bool advertising_wanted_ = false;
  std::string name_;
  std::uint8_t own_addr_type_ = 0;
  std::uint16_t conn_handle_;
  std::array<std::uint16_t, kCharacteristics> value_handles_{};
  std::array<bool, kCharacteristics> subscribed_{};
};
