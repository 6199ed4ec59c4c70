#include "reset_circuit.hpp"

namespace sim {

std::optional<ResetCircuitKind> parse_reset_circuit(std::string_view text) {
  if (text == "auto-reset") return ResetCircuitKind::auto_reset;
  if (text == "slow-en") return ResetCircuitKind::slow_en;
  if (text == "usb-serial-jtag") return ResetCircuitKind::usb_serial_jtag;
  return std::nullopt;
}

std::string_view to_string(ResetCircuitKind kind) {
  switch (kind) {
    case ResetCircuitKind::auto_reset:
      return "auto-reset";
    case ResetCircuitKind::slow_en:
      return "slow-en";
    case ResetCircuitKind::usb_serial_jtag:
      return "usb-serial-jtag";
  }
  return "auto-reset";
}

std::chrono::milliseconds ResetCircuit::strap_delay() const {
  return kind_ == ResetCircuitKind::slow_en ? std::chrono::milliseconds(300) : std::chrono::milliseconds(2);
}

ResetCircuit::Action ResetCircuit::on_lines(bool dtr, bool rts, Clock::time_point now) {
  dtr_ = dtr;
  rts_ = rts;
  if (kind_ == ResetCircuitKind::usb_serial_jtag) {
    const bool reset_lines = !dtr && rts;
    Action action = Action::none;
    if (reset_lines && !in_reset_) {
      in_reset_ = true;
      boot_download_ = download_request_;
      action = Action::hold_in_reset;
    } else if (!reset_lines && in_reset_) {
      in_reset_ = false;
      action = boot_download_ ? Action::boot_download : Action::boot_app;
      boot_download_ = false;
    }
    if (dtr && !rts) download_request_ = true;
    if (!dtr && !rts) download_request_ = false;
    return action;
  }
  const bool en_low = rts && !dtr;
  if (en_low && !in_reset_) {
    in_reset_ = true;
    sample_at_.reset();
    return Action::hold_in_reset;
  }
  if (!en_low && in_reset_) {
    in_reset_ = false;
    sample_at_ = now + strap_delay();  // the chip stays quiet until the ROM has sampled GPIO0
  }
  return Action::none;
}

ResetCircuit::Action ResetCircuit::on_time(Clock::time_point now) {
  if (!sample_at_ || now < *sample_at_) return Action::none;
  sample_at_.reset();
  const bool gpio0_low = dtr_ && !rts_;
  return gpio0_low ? Action::boot_download : Action::boot_app;
}

}  // namespace sim
