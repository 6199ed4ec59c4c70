// The firmware core over arbitrary input: the first bytes become its own NVS partition (garbage, half-written
// pages, foreign states), the rest arrive on the console (AT lines, Improv frames, anything). It must never crash,
// hang or touch memory it does not own, and must keep answering AT afterwards.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fw/firmware.hpp"

namespace {

constexpr std::uint32_t kFlashBytes = 0x20000;  // partition table fallback puts nvs at 0x9000..0xF000
constexpr std::uint32_t kNvsOffset = 0x9000;
constexpr std::size_t kNvsBytes = 0x6000;

class FuzzPlatform : public fw::Platform {
 public:
  std::vector<std::uint8_t> flash = std::vector<std::uint8_t>(kFlashBytes, 0xFF);
  std::string console;
  std::uint64_t clock_ms = 0;

  void console_write(std::string_view bytes) override { console.append(bytes.substr(0, 4096)); }
  bool flash_read(std::uint32_t a, void* out, std::size_t n) override {
    if (std::uint64_t{a} + n > flash.size()) return false;
    std::memcpy(out, flash.data() + a, n);
    return true;
  }
  bool flash_write(std::uint32_t a, const void* d, std::size_t n) override {
    if (std::uint64_t{a} + n > flash.size()) return false;
    for (std::size_t i = 0; i < n; ++i) flash[a + i] &= static_cast<const std::uint8_t*>(d)[i];
    return true;
  }
  bool flash_erase(std::uint32_t a, std::size_t n) override {
    if (a % 4096 || n % 4096 || std::uint64_t{a} + n > flash.size()) return false;
    std::fill_n(flash.begin() + a, n, 0xFF);
    return true;
  }
  std::uint32_t flash_size() const override { return kFlashBytes; }
  void random_bytes(std::uint8_t* out, std::size_t n) override { std::fill_n(out, n, 0x5A); }
  std::uint64_t now_ms() override { return clock_ms; }
  void restart(fw::BootMode) override {}
  std::string chip_name() const override { return "esp32c3"; }
  std::array<std::uint8_t, 6> factory_mac() const override { return {1, 2, 3, 4, 5, 6}; }
  std::vector<fw::ScanResult> wifi_scan() override { return {{"ap", -40, fw::WifiAuth::wpa2, 6}}; }
  void wifi_connect(const std::string&, const std::string&) override {}
  void wifi_disconnect() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzPlatform platform;
  const std::size_t nvs_part = size > 0 ? std::min<std::size_t>(data[0] * 64, std::min(size - 1, kNvsBytes)) : 0;
  if (nvs_part > 0) std::memcpy(platform.flash.data() + kNvsOffset, data + 1, nvs_part);
  const std::size_t console_from = size > 0 ? 1 + nvs_part : 0;
  fw::Firmware firmware(platform);
  firmware.boot();
  for (std::size_t at = console_from; at < size; at += 37) {
    firmware.on_console_bytes(std::string_view(reinterpret_cast<const char*>(data + at), std::min<std::size_t>(37, size - at)));
    platform.clock_ms += 700;
    firmware.poll();
    if (data[at] == 0xC3) {
      fw::WifiEvent event;
      event.kind = static_cast<fw::WifiEvent::Kind>(data[at] % 3);
      event.ip = "10.0.0.2";
      firmware.on_wifi_event(event);
    }
  }
  platform.clock_ms += 2000;
  firmware.poll();
  firmware.on_console_bytes("\r\n");  // end whatever line the input left open
  platform.console.clear();
  firmware.on_console_bytes("AT\r\n");
  if (platform.console.find("OK\r\n") == std::string::npos) __builtin_trap();
  return 0;
}
