// The BOOT button as an input after boot: the strapping pin that selects download mode at reset is an ordinary
// GPIO once the app runs. Polled from app_main's loop (every 10 ms, which also rides out contact bounce); the
// 3-second hold is timed by the core (fw::ProvisioningMode), this only reports the level.
#pragma once

#include <optional>

#include "driver/gpio.h"
#include "sdkconfig.h"

// The BOOT button's GPIO per chip family, from Espressif's DevKit user guides (ESP32-DevKitC, ESP32-S2/S3-
// DevKitC-1: GPIO0; ESP32-C2/C3/C6/H2 DevKits: GPIO9). Active low, with the board's pull-up.
#if CONFIG_IDF_TARGET_ESP32 || CONFIG_IDF_TARGET_ESP32S2 || CONFIG_IDF_TARGET_ESP32S3
constexpr gpio_num_t kBootButtonGpio = GPIO_NUM_0;
#else
constexpr gpio_num_t kBootButtonGpio = GPIO_NUM_9;
#endif

class BootButton {
 public:
  void start() {
    gpio_config_t config = {};
    config.pin_bit_mask = 1ULL << kBootButtonGpio;
    config.mode = GPIO_MODE_INPUT;
    config.pull_up_en = GPIO_PULLUP_ENABLE;  // boards have one; the internal one covers bare modules
    config.pull_down_en = GPIO_PULLDOWN_DISABLE;
    config.intr_type = GPIO_INTR_DISABLE;
    gpio_config(&config);
    pressed_ = is_pressed();
  }

  // The new level when it changed since the last call.
  std::optional<bool> changed() {
    const bool now = is_pressed();
    if (now == pressed_) return std::nullopt;
    pressed_ = now;
    return now;
  }

 private:
  static bool is_pressed() { return gpio_get_level(kBootButtonGpio) == 0; }
  bool pressed_ = false;
};
