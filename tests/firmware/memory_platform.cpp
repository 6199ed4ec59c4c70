#include "firmware/memory_platform.hpp"

#include <cstring>

namespace fwtest {

MemoryPlatform::MemoryPlatform(std::uint32_t flash_bytes, std::uint64_t random_seed)
    : flash_(flash_bytes, 0xFF), random_state_(random_seed * 0x9E3779B97F4A7C15ULL + 1) {}

bool MemoryPlatform::flash_read(std::uint32_t address, void* out, std::size_t length) {
  if (std::uint64_t{address} + length > flash_.size()) return false;
  std::memcpy(out, flash_.data() + address, length);
  return true;
}

bool MemoryPlatform::flash_write(std::uint32_t address, const void* data, std::size_t length) {
  if (fail_writes_ || std::uint64_t{address} + length > flash_.size()) return false;
  ++flash_writes_;
  return power_cut_.program(flash_.data() + address, static_cast<const std::uint8_t*>(data), length);
}

bool MemoryPlatform::flash_erase(std::uint32_t address, std::size_t length) {
  if (fail_writes_ || address % 4096 || length % 4096 || std::uint64_t{address} + length > flash_.size()) {
    return false;
  }
  return power_cut_.erase(flash_.data() + address, length);
}

void MemoryPlatform::random_bytes(std::uint8_t* out, std::size_t length) {
  for (std::size_t i = 0; i < length; ++i) {  // splitmix64: deterministic runs, distinct devices per seed
    random_state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = random_state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    out[i] = static_cast<std::uint8_t>(z ^ (z >> 31));
  }
}

std::vector<fw::ScanResult> MemoryPlatform::wifi_scan() {
  std::vector<fw::ScanResult> results;
  for (const auto& ap : access_points) results.push_back({ap.ssid, ap.rssi_dbm, ap.auth, ap.channel});
  return results;
}

void MemoryPlatform::wifi_connect(const std::string& ssid, const std::string& password) {
  ++connect_calls_;
  pending_ = PendingConnect{ssid, password};
}

std::optional<fw::WifiEvent> MemoryPlatform::resolve_pending() {
  if (!pending_) return std::nullopt;
  const PendingConnect attempt = *pending_;
  pending_.reset();
  fw::WifiEvent event;
  for (const auto& ap : access_points) {
    if (ap.ssid != attempt.ssid) continue;
    if (ap.password != attempt.password) {
      event.kind = fw::WifiEvent::Kind::failed;
      event.failure = fw::WifiFailure::wrong_password;
      return event;
    }
    event.kind = fw::WifiEvent::Kind::connected;
    event.ip = "192.168.4.23";
    event.rssi_dbm = ap.rssi_dbm;
    return event;
  }
  event.kind = fw::WifiEvent::Kind::failed;
  event.failure = fw::WifiFailure::ap_not_found;
  return event;
}

std::optional<std::string> MemoryPlatform::pending_ssid() const {
  if (!pending_) return std::nullopt;
  return pending_->ssid;
}

std::optional<fw::BootMode> MemoryPlatform::take_restart() {
  auto mode = restart_requested_;
  restart_requested_.reset();
  return mode;
}

std::string MemoryPlatform::take_console() {
  std::string out;
  out.swap(console_);
  return out;
}

std::vector<std::string> split_lines(const std::string& console) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < console.size()) {
    std::size_t end = console.find("\r\n", start);
    if (end == std::string::npos) end = console.size();
    lines.push_back(console.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

Device::Device() = default;

std::vector<std::string> Device::boot() {
  firmware = std::make_unique<fw::Firmware>(platform);
  firmware->boot();
  return take_lines();
}

std::vector<std::string> Device::send(const std::string& line) { return feed(line + "\r\n"); }

std::vector<std::string> Device::feed(const std::string& bytes) {
  firmware->on_console_bytes(bytes);
  return take_lines();
}

std::vector<std::string> Device::complete_connect() {
  if (auto event = platform.resolve_pending()) firmware->on_wifi_event(*event);
  return take_lines();
}

std::vector<std::string> Device::take_lines() { return split_lines(platform.take_console()); }

}  // namespace fwtest
