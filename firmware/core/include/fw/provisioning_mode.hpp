// When the device offers BLE provisioning (PROTOCOL.md §7.2): at boot when no WiFi is configured or a factory
// reset asked for it, and after the BOOT button was held 3 s; advertising stops after 60 s without a connection
// and resumes with a fresh window after a disconnect. Pure: every input carries the time, every output is the
// one thing the radio must do.
#pragma once

#include <cstdint>

namespace fw {

struct ProvisioningModeConfig {
  std::uint64_t advertising_timeout_ms = 60000;  // seed 002: "times out after 60 seconds"
  std::uint64_t button_hold_ms = 3000;           // seed 002: "hold BOOT button for 3 seconds"
};

enum class ModeAction { none, start_advertising, stop_advertising };

class ProvisioningMode {
 public:
  enum class State { idle, advertising, connected, restarting };

  explicit ProvisioningMode(ProvisioningModeConfig config = {}) : config_(config) {}

  // `requested`: a factory reset asked for provisioning mode at this boot.
  ModeAction boot(std::uint64_t now_ms, bool wifi_configured, bool requested);
  // The BOOT button's level changed. A hold counts once it reaches button_hold_ms, while still held (tick) or at
  // release; a shorter hold does nothing. Contact bounce only restarts the hold, which bounce never makes longer.
  ModeAction button(bool pressed, std::uint64_t now_ms);
  ModeAction connected(std::uint64_t now_ms);
  ModeAction disconnected(std::uint64_t now_ms);
  // Timers: the hold in progress and the advertising window. Call often (every few ms).
  ModeAction tick(std::uint64_t now_ms);
  // A SAVE or factory reset is about to restart the device: nothing resumes advertising before it.
  void restarting() { state_ = State::restarting; }

  State state() const { return state_; }

 private:
  ModeAction enter(std::uint64_t now_ms);
  bool hold_reached(std::uint64_t now_ms) const;

  ProvisioningModeConfig config_;
  State state_ = State::idle;
  std::uint64_t window_start_ms_ = 0;
  bool button_held_ = false;
  bool hold_counted_ = false;
  std::uint64_t held_since_ms_ = 0;
};

}  // namespace fw
