// A complete in-memory fw::Platform for host tests: NOR flash in a byte array, a captured console, a manual
// clock, a seeded random source, and a radio with a table of access points whose connection attempts the test
// completes when it chooses (as the air would, later).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fw/firmware.hpp"
#include "fw/platform.hpp"
#include "power_cut.hpp"

namespace fwtest {

struct AccessPoint {
  std::string ssid;
  std::string password;
  int rssi_dbm = -50;
  fw::WifiAuth auth = fw::WifiAuth::wpa2;
  int channel = 6;
};

class MemoryPlatform : public fw::Platform {
 public:
  explicit MemoryPlatform(std::uint32_t flash_bytes = 0x400000, std::uint64_t random_seed = 1);

  void console_write(std::string_view bytes) override { console_ += bytes; }
  bool flash_read(std::uint32_t address, void* out, std::size_t length) override;
  bool flash_write(std::uint32_t address, const void* data, std::size_t length) override;
  bool flash_erase(std::uint32_t address, std::size_t length) override;
  std::uint32_t flash_size() const override { return static_cast<std::uint32_t>(flash_.size()); }
  void random_bytes(std::uint8_t* out, std::size_t length) override;
  std::uint64_t now_ms() override { return now_ms_; }
  void restart(fw::BootMode mode) override { restart_requested_ = mode; }
  std::string chip_name() const override { return "esp32c3"; }
  std::array<std::uint8_t, 6> factory_mac() const override { return {0xA0, 0xB1, 0xC2, 0xD3, 0xE4, 0xF5}; }
  std::vector<fw::ScanResult> wifi_scan() override;
  void wifi_connect(const std::string& ssid, const std::string& password) override;
  void wifi_disconnect() override { ++disconnect_calls_; pending_.reset(); }

  // Test controls.
  std::vector<std::uint8_t>& flash() { return flash_; }
  std::string take_console();
  void advance_ms(std::uint64_t ms) { now_ms_ += ms; }
  std::vector<AccessPoint> access_points;
  // The result the pending attempt gets from the access-point table; empty when no attempt is pending.
  std::optional<fw::WifiEvent> resolve_pending();
  std::optional<std::string> pending_ssid() const;
  std::optional<fw::BootMode> take_restart();
  int connect_calls() const { return connect_calls_; }
  int disconnect_calls() const { return disconnect_calls_; }
  int flash_writes() const { return flash_writes_; }
  void fail_flash_writes(bool fail) { fail_writes_ = fail; }
  // The simulator's flash-level power cut, on this flash.
  sim::PowerCut& power_cut() { return power_cut_; }

 private:
  struct PendingConnect {
    std::string ssid;
    std::string password;
  };

  std::vector<std::uint8_t> flash_;
  std::string console_;
  std::uint64_t now_ms_ = 0;
  std::uint64_t random_state_;
  std::optional<fw::BootMode> restart_requested_;
  std::optional<PendingConnect> pending_;
  int connect_calls_ = 0;
  int disconnect_calls_ = 0;
  int flash_writes_ = 0;
  bool fail_writes_ = false;
  sim::PowerCut power_cut_;
};

// A device: the platform plus a firmware booted on it; reboot() starts a fresh Firmware over the same flash.
class Device {
 public:
  Device();
  MemoryPlatform platform;
  std::unique_ptr<fw::Firmware> firmware;

  std::vector<std::string> boot();  // lines printed during boot
  std::vector<std::string> reboot() { return boot(); }
  // Sends one line with CRLF and returns every line printed in answer.
  std::vector<std::string> send(const std::string& line);
  std::vector<std::string> feed(const std::string& bytes);
  // Completes the pending connection attempt from the access-point table; returns the lines printed.
  std::vector<std::string> complete_connect();
  std::vector<std::string> take_lines();
};

std::vector<std::string> split_lines(const std::string& console);

}  // namespace fwtest
