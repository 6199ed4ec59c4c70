#include "fw/provisioning_mode.hpp"

namespace fw {

ModeAction ProvisioningMode::boot(std::uint64_t now_ms, bool wifi_configured, bool requested) {
  state_ = State::idle;
  button_held_ = false;
  if (!wifi_configured || requested) return enter(now_ms);
  return ModeAction::none;
}

ModeAction ProvisioningMode::button(bool pressed, std::uint64_t now_ms) {
  if (pressed) {
    if (!button_held_) {
      button_held_ = true;
      hold_counted_ = false;
      held_since_ms_ = now_ms;
    }
    return ModeAction::none;
  }
  const bool counts = button_held_ && !hold_counted_ && hold_reached(now_ms);
  button_held_ = false;
  return counts ? enter(now_ms) : ModeAction::none;
}

ModeAction ProvisioningMode::connected(std::uint64_t) {
  if (state_ == State::restarting) return ModeAction::none;
  state_ = State::connected;  // the stack stopped advertising when the connection was made
  return ModeAction::none;
}

ModeAction ProvisioningMode::disconnected(std::uint64_t now_ms) {
  if (state_ != State::connected) return ModeAction::none;
  state_ = State::advertising;
  window_start_ms_ = now_ms;
  return ModeAction::start_advertising;
}

ModeAction ProvisioningMode::tick(std::uint64_t now_ms) {
  if (button_held_ && !hold_counted_ && hold_reached(now_ms)) {
    hold_counted_ = true;  // once per hold, however long it lasts
    return enter(now_ms);
  }
  if (state_ == State::advertising && now_ms - window_start_ms_ >= config_.advertising_timeout_ms) {
    state_ = State::idle;
    return ModeAction::stop_advertising;
  }
  return ModeAction::none;
}

// From idle this starts advertising; while advertising it only restarts the window; a connected or restarting
// device stays as it is.
ModeAction ProvisioningMode::enter(std::uint64_t now_ms) {
  if (state_ == State::connected || state_ == State::restarting) return ModeAction::none;
  const bool was_idle = state_ == State::idle;
  state_ = State::advertising;
  window_start_ms_ = now_ms;
  return was_idle ? ModeAction::start_advertising : ModeAction::none;
}

bool ProvisioningMode::hold_reached(std::uint64_t now_ms) const {
  return now_ms - held_since_ms_ >= config_.button_hold_ms;
}

}  // namespace fw
