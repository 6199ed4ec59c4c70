// The firmware's entry point on the chip: one Platform, one Firmware, one loop that feeds the core console bytes
// and radio events and polls its timers. The core does the rest.
#include "esp_platform.hpp"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "fw/firmware.hpp"

namespace {
constexpr std::uint32_t kConsoleWaitMs = 10;  // also the poll period of the core's timers
}

extern "C" void app_main(void) {
  static EspPlatform platform;
  platform.start();
  static fw::Firmware firmware(platform);
  firmware.boot();
  char buffer[128];
  while (true) {
    const std::size_t received = platform.console_read(buffer, sizeof buffer, kConsoleWaitMs);
    if (received > 0) firmware.on_console_bytes(std::string_view(buffer, received));
    while (auto event = platform.next_wifi_event()) firmware.on_wifi_event(*event);
    firmware.poll();
    platform.restart_if_requested();
  }
}
