// What the host's DTR/RTS do to a board, per kind of board (the control socket's `lines` command feeds it; a pty
// has no modem lines). Pure: lines and times in, "hold in reset" / "boot into mode" out.
//
//  auto-reset       the two-transistor circuit of the DevKits (ESP32-DevKitC schematic): EN low while RTS is
//                   asserted and DTR is not, GPIO0 low while DTR is asserted and RTS is not; the ROM samples GPIO0
//                   `strap_delay` after EN rises (2 ms: EN's RC on a DevKit).
//  slow-en          the same circuit with a large EN capacitor: the strap is sampled 300 ms after EN rises, so
//                   GPIO0 must stay low longer than esptool's 50 ms default (its 550 ms retry, espflash's 500 ms).
//  usb-serial-jtag  the native USB-Serial/JTAG peripheral (ESP32-C3/S3/C6/H2 TRM, "USB Serial/JTAG Controller",
//                   CDC-ACM DTR/RTS): (DTR=1, RTS=0) requests download boot, (DTR=0, RTS=1) holds the chip in
//                   reset, (0,0) cancels the request; leaving reset boots into download mode when the request was
//                   standing as reset began. esptool's USBJTAGSerialReset passes (1,1) from (1,0) to (0,1) so the
//                   request survives; the classic sequence never reaches (0,1) with it, so the app boots.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sim {

using Clock = std::chrono::steady_clock;

enum class ResetCircuitKind { auto_reset, slow_en, usb_serial_jtag };

// "auto-reset" | "slow-en" | "usb-serial-jtag"; nullopt otherwise.
std::optional<ResetCircuitKind> parse_reset_circuit(std::string_view text);
std::string_view to_string(ResetCircuitKind kind);

class ResetCircuit {
 public:
  explicit ResetCircuit(ResetCircuitKind kind = ResetCircuitKind::auto_reset) : kind_(kind) {}

  enum class Action { none, hold_in_reset, boot_download, boot_app };
  // The host changed its lines to (dtr, rts) at `now`.
  Action on_lines(bool dtr, bool rts, Clock::time_point now);
  // A strap sample that fell due by `now` (the auto-reset kinds decide the boot mode after EN rose).
  Action on_time(Clock::time_point now);
  std::optional<Clock::time_point> next_wakeup() const { return sample_at_; }
  ResetCircuitKind kind() const { return kind_; }

 private:
  std::chrono::milliseconds strap_delay() const;

  ResetCircuitKind kind_;
  bool dtr_ = false;
  bool rts_ = false;
  bool in_reset_ = false;
  bool download_request_ = false;  // usb-serial-jtag: (1,0) seen and not cancelled
  bool boot_download_ = false;     // usb-serial-jtag: the request as reset began
  std::optional<Clock::time_point> sample_at_;
};

}  // namespace sim
