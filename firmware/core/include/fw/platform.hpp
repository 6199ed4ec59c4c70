// The port layer of the firmware core: the handful of things a platform provides (console, flash, randomness,
// time, restart, radio). The ESP-IDF port implements it with UART/nvs-free raw flash/esp_wifi; the host port
// (espprov-sim) with a pseudo-terminal, a flash image file and a table of simulated access points.
// C++17, no ESP-IDF headers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fw {

class MqttClient;  // fw/mqtt_client.hpp

enum class BootMode { app, download };

enum class WifiAuth { open, wep, wpa, wpa2, wpa3, wpa2_wpa3 };

struct ScanResult {
  std::string ssid;  // raw bytes, 1..32
  int rssi_dbm = 0;
  WifiAuth auth = WifiAuth::wpa2;
  int channel = 1;
};

enum class WifiFailure { wrong_password, ap_not_found, timeout, other };

struct WifiEvent {
  enum class Kind { connected, failed, disconnected } kind = Kind::failed;
  std::string ip;          // dotted quad when connected
  int rssi_dbm = 0;        // when connected
  WifiFailure failure = WifiFailure::other;  // when failed
};

class Platform {
 public:
  virtual ~Platform() = default;

  // Console (UART / USB-serial). Bytes go out in order; may pace them at the line rate.
  virtual void console_write(std::string_view bytes) = 0;

  // Raw SPI flash, whole-chip addresses. NOR semantics: erase sets 0xFF in 4096-byte sectors, a write can only
  // clear bits. Return false on an address outside the chip or a misaligned erase.
  virtual bool flash_read(std::uint32_t address, void* out, std::size_t length) = 0;
  virtual bool flash_write(std::uint32_t address, const void* data, std::size_t length) = 0;
  virtual bool flash_erase(std::uint32_t address, std::size_t length) = 0;
  virtual std::uint32_t flash_size() const = 0;

  // Cryptographically secure random bytes (esp_fill_random on the chip).
  virtual void random_bytes(std::uint8_t* out, std::size_t length) = 0;

  // Monotonic milliseconds since boot.
  virtual std::uint64_t now_ms() = 0;

  // Requests a restart into `mode`; it takes effect after the current core call returns.
  virtual void restart(BootMode mode) = 0;

  // Chip facts.
  virtual std::string chip_name() const = 0;               // "esp32c3", ...
  virtual std::array<std::uint8_t, 6> factory_mac() const = 0;  // station MAC from eFuse

  // Radio. connect() starts an attempt; the result arrives later through Firmware::on_wifi_event (connected or
  // failed; disconnected only after a connection was up). disconnect() cancels an attempt or drops the link and
  // produces no event: the core calls it before replacing an attempt and when an attempt times out (15 s), and a
  // late event from the cancelled attempt would be taken for the new one's result.
  virtual std::vector<ScanResult> wifi_scan() = 0;
  virtual void wifi_connect(const std::string& ssid, const std::string& password) = 0;
  virtual void wifi_disconnect() = 0;

  // MQTT over TLS (fw/mqtt_client.hpp), owned by the port; null on a port without one (then AT+MQTT? reports
  // `failed,no_client` when a broker is configured).
  virtual MqttClient* mqtt_client() { return nullptr; }
};

}  // namespace fw
