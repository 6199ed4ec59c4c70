// Reset strategies: how the host's modem lines put a board into the ROM loader (before) or restart it (after).
// One small type per strategy, after esptool's reset.py. DTR/RTS "asserted" = true; on the usual USB-UART boards
// two transistors turn RTS into EN (reset) and DTR into GPIO0 (boot strap), so asserting both keeps EN high.
#pragma once

#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string_view>

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

// Classic auto-reset of USB-UART boards: EN low, then GPIO0 low while EN rises, then GPIO0 released.
class ClassicReset final : public ResetStrategy {
 public:
  std::string_view name() const override { return "default-reset"; }
  boost::asio::awaitable<bool> run(serial::Link& link) const override;
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

}  // namespace provision::loader
