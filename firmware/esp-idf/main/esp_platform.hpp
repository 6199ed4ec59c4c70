// The ESP-IDF port of fw::Platform: the console on UART0 or USB-Serial/JTAG, raw flash through esp_flash and
// esp_partition, esp_fill_random, esp_timer, esp_restart (with the ROM's force-download flag where the chip has
// one) and esp_wifi in station mode. Radio events arrive on the event-loop task and are queued; the main loop
// hands them to the core, so every core call happens on one task.
#pragma once

#include <atomic>
#include <optional>

#include "freertos/FreeRTOS.h"
#include "esp_mqtt.hpp"
#include "freertos/queue.h"
#include "fw/platform.hpp"

class EspPlatform : public fw::Platform {
 public:
  EspPlatform();

  // Installs the console driver and starts the WiFi station. Call once before the first Firmware::boot().
  void start();

  // Console bytes received within `timeout_ms` (0 bytes when none).
  std::size_t console_read(char* out, std::size_t capacity, std::uint32_t timeout_ms);
  // The next queued radio event, if any.
  std::optional<fw::WifiEvent> next_wifi_event();
  // The restart requested by the core, if any; performs it (does not return).
  void restart_if_requested();

  void console_write(std::string_view bytes) override;
  bool flash_read(std::uint32_t address, void* out, std::size_t length) override;
  bool flash_write(std::uint32_t address, const void* data, std::size_t length) override;
  bool flash_erase(std::uint32_t address, std::size_t length) override;
  std::uint32_t flash_size() const override;
  void random_bytes(std::uint8_t* out, std::size_t length) override;
  std::uint64_t now_ms() override;
  void restart(fw::BootMode mode) override;
  std::string chip_name() const override;
  std::array<std::uint8_t, 6> factory_mac() const override;
  std::vector<fw::ScanResult> wifi_scan() override;
  void wifi_connect(const std::string& ssid, const std::string& password) override;
  void wifi_disconnect() override;
  fw::MqttClient* mqtt_client() override { return &mqtt_; }
  // The next queued MQTT event, if any.
  std::optional<fw::MqttEvent> next_mqtt_event() { return mqtt_.next_event(); }

 private:
  static void on_wifi_event(void* self, const char* base, std::int32_t id, void* data);
  void queue_event(const fw::WifiEvent& event);

  QueueHandle_t events_ = nullptr;
  EspMqtt mqtt_;
  std::optional<fw::BootMode> restart_mode_;
  // Set while the core cancels an attempt or link: the driver's STA_DISCONNECTED for it is not an event.
  std::atomic<bool> disconnect_requested_{false};
  std::atomic<bool> attempting_{false};
  std::atomic<bool> connected_{false};
};
