// Reset strategies: how the host's modem lines put a board into the ROM loader (before) or restart it (after).
// One small type per strategy, after esptool's reset.py. DTR/RTS "asserted" = true; on the usual USB-UART boards
// two transistors turn RTS into EN (reset) and DTR into GPIO0 (boot strap), so asserting both keeps EN high.
#pragma once

#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "provision/loader/reset_sequence.hpp"
#include "provision/serial.hpp"

namespace provision::loader {

enum class BeforeReset { default_reset, usb_reset, no_reset };
enum class AfterReset { hard_reset, run_app, no_reset };

// "default-reset" | "usb-reset" | "no-reset"; throws Error(bad_input, field "before") naming the choices.
BeforeReset parse_before_reset(std::string_view text);
// "hard-reset" | "run-app" | "no-reset"; throws Error(bad_input, field "after").
AfterReset parse_after_reset(std::string_view text);
std::string_view to_string(BeforeReset before);
std::string_view to_string(AfterReset after);

class ResetStrategy {
 public:
  virtual ~ResetStrategy() = default;
  virtual std::string_view name() const = 0;
  // Runs the line sequence. Returns false when the link has no modem lines (a pty, a raw socket): nothing was
  // reset and the caller warns.
  virtual boost::asio::awaitable<bool> run(serial::Link& link) const = 0;
};

// GPIO0 held low after EN rises: espflash's DEFAULT_RESET_DELAY / EXTRA_RESET_DELAY (esptool: 0.05 s and
// 0.05 + 0.5 s). A board whose EN capacitor charges slowly samples the strap late and needs the long one.
inline constexpr std::chrono::milliseconds kShortResetDelay{50};
inline constexpr std::chrono::milliseconds kLongResetDelay{500};

// Classic auto-reset of USB-UART boards: EN low, then GPIO0 low while EN rises, then GPIO0 released after
// `gpio0_hold`.
class ClassicReset final : public ResetStrategy {
 public:
  explicit ClassicReset(std::chrono::milliseconds gpio0_hold = kShortResetDelay) : gpio0_hold_(gpio0_hold) {}
  std::string_view name() const override { return "default-reset"; }
  boost::asio::awaitable<bool> run(serial::Link& link) const override;
  std::chrono::milliseconds gpio0_hold() const { return gpio0_hold_; }

 private:
  std::chrono::milliseconds gpio0_hold_;
};

// --reset-sequence: the lines and waits exactly as given (esptool's CustomReset).
class SequenceReset final : public ResetStrategy {
 public:
  explicit SequenceReset(ResetSequence sequence) : sequence_(std::move(sequence)) {}
  std::string_view name() const override { return "reset-sequence"; }
  boost::asio::awaitable<bool> run(serial::Link& link) const override;

 private:
  ResetSequence sequence_;
};

// The sequence the USB-Serial/JTAG peripheral (ESP32-S3, C3, C6, H2 native USB) decodes from DTR/RTS.
class UsbJtagReset final : public ResetStrategy {
 public:
  std::string_view name() const override { return "usb-reset"; }
  boost::asio::awaitable<bool> run(serial::Link& link) const override;
};

// EN pulsed low with GPIO0 high: the application boots.
class HardReset final : public ResetStrategy {
 public:
  std::string_view name() const override { return "hard-reset"; }
  boost::asio::awaitable<bool> run(serial::Link& link) const override;
};

// Touches no line: the board is already in the loader (a jumper, a button, a remote rig).
class NoReset final : public ResetStrategy {
 public:
  std::string_view name() const override { return "no-reset"; }
  boost::asio::awaitable<bool> run(serial::Link& link) const override;
};

std::unique_ptr<ResetStrategy> make_reset(BeforeReset before);

// How Loader::connect resets a board and how often it tries.
struct ConnectOptions {
  BeforeReset before = BeforeReset::default_reset;
  std::optional<ResetSequence> sequence;  // --reset-sequence: these lines instead of `before`'s
  int attempts = 7;                       // reset + SYNC rounds; 0 = until the board answers (a station)
};

// The reset of attempt `attempt` (0-based): a custom sequence as given; default-reset alternates the short and the
// long GPIO0 hold (short first), as espflash and esptool do; the others are fixed.
std::unique_ptr<ResetStrategy> reset_for_attempt(const ConnectOptions& options, int attempt);
// One line for progress: "default-reset (GPIO0 held 500 ms)", "reset-sequence D0|R1|...".
std::string describe_reset(const ConnectOptions& options, int attempt);

// The --before a port's bridge implies when the default was asked for: "usb-reset" for the Espressif
// USB-Serial/JTAG (303a:1001), whose peripheral ignores the classic circuit's sequence (esptool switches to its
// USBJTAGSerialReset for that PID too). An explicit usb-reset or no-reset is kept.
BeforeReset before_for_port(BeforeReset requested, std::string_view implied_reset);

}  // namespace provision::loader
