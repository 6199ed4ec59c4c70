// App mode of a simulated device: the firmware core running on the host port. The device owns one session per
// boot into the application; the session is built only when the firmware core is part of the build.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "access_points.hpp"
#include "chip_table.hpp"
#include "flash_image.hpp"

namespace sim {

using Clock = std::chrono::steady_clock;

struct AppEnvironment {
  FlashImage& flash;
  ChipFacts chip;
  std::array<std::uint8_t, 6> mac;
  const std::vector<AccessPoint>& access_points;
  int device_index = 0;
  bool realistic_timing = true;  // connect times as configured; off: results arrive on the next poll
  std::function<void(std::string_view)> console_write;
  std::function<void(bool into_download_mode)> restart;
};

class AppSession {
 public:
  virtual ~AppSession() = default;
  virtual void on_console_bytes(std::string_view bytes, Clock::time_point now) = 0;
  virtual void poll(Clock::time_point now) = 0;
  virtual std::optional<Clock::time_point> next_wakeup() const = 0;
};

// Boots the firmware (prints its boot log and +READY through console_write). Returns null when this build has no
// firmware core; the device then prints a notice instead.
std::unique_ptr<AppSession> start_app_session(AppEnvironment environment, Clock::time_point now);

}  // namespace sim
