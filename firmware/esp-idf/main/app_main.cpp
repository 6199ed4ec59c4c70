// The firmware's entry point on the chip: one Platform, one Firmware, one loop that feeds the core console bytes,
// radio events and the BOOT button and polls its timers. NimBLE's host task calls into the core too (esp_ble.cpp);
// both hold the core lock around every core call, so the core sees one caller at a time.
#include "esp_ble.hpp"
#include "esp_button.hpp"
#include "esp_platform.hpp"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "fw/ble_provisioning.hpp"
#include "fw/firmware.hpp"

namespace {
constexpr std::uint32_t kConsoleWaitMs = 10;  // also the poll period of the core's timers and the button
}

extern "C" void app_main(void) {
  static EspPlatform platform;
  platform.start();
  static SemaphoreHandle_t core_lock = xSemaphoreCreateRecursiveMutex();
  static fw::Firmware firmware(platform);
  static EspBle ble(firmware, core_lock);
  static BootButton button;
  button.start();
  firmware.attach_ble(ble, fw::BleOptions{});  // advertises "LED_WiFi_Config"; set device_name to change it
  ble.start();
  xSemaphoreTakeRecursive(core_lock, portMAX_DELAY);
  firmware.boot();
  xSemaphoreGiveRecursive(core_lock);
  char buffer[128];
  while (true) {
    const std::size_t received = platform.console_read(buffer, sizeof buffer, kConsoleWaitMs);
    xSemaphoreTakeRecursive(core_lock, portMAX_DELAY);
    if (received > 0) firmware.on_console_bytes(std::string_view(buffer, received));
    while (auto event = platform.next_wifi_event()) firmware.on_wifi_event(*event);
    while (auto event = platform.next_mqtt_event()) firmware.on_mqtt_event(*event);
    if (auto pressed = button.changed()) firmware.on_button(*pressed);
    firmware.poll();
    xSemaphoreGiveRecursive(core_lock);
    platform.restart_if_requested();
  }
}
