// Line sequences after esptool's reset.py (ClassicReset / UnixTightReset, USBJTAGSerialReset, HardReset). Both
// lines change in one call, as UnixTightReset does, so EN and GPIO0 never pass through an unintended state.
#include "provision/loader/reset.hpp"

#include <fmt/format.h>

namespace provision::loader {

using serial::Millis;
namespace asio = boost::asio;

BeforeReset parse_before_reset(std::string_view text) {
  if (text == "default-reset") return BeforeReset::default_reset;
  if (text == "usb-reset") return BeforeReset::usb_reset;
  if (text == "no-reset") return BeforeReset::no_reset;
  throw Error(ErrorCode::bad_input,
              fmt::format("--before '{}' is not a reset strategy; use default-reset, usb-reset or no-reset", text),
              "before");
}

AfterReset parse_after_reset(std::string_view text) {
  if (text == "hard-reset") return AfterReset::hard_reset;
  if (text == "run-app") return AfterReset::run_app;
  if (text == "no-reset") return AfterReset::no_reset;
  throw Error(ErrorCode::bad_input,
              fmt::format("--after '{}' is not a way to leave the loader; use hard-reset, run-app or no-reset", text),
              "after");
}

std::string_view to_string(BeforeReset before) {
  switch (before) {
    case BeforeReset::default_reset: return "default-reset";
    case BeforeReset::usb_reset: return "usb-reset";
    case BeforeReset::no_reset: return "no-reset";
  }
  return "default-reset";
}

std::string_view to_string(AfterReset after) {
  switch (after) {
    case AfterReset::hard_reset: return "hard-reset";
    case AfterReset::run_app: return "run-app";
    case AfterReset::no_reset: return "no-reset";
  }
  return "hard-reset";
}

asio::awaitable<bool> ClassicReset::run(serial::Link& link) const {
  if (!link.set_modem_lines(false, true)) co_return false;  // EN low (in reset), GPIO0 high
  co_await link.delay(Millis(100));
  link.set_modem_lines(true, false);  // GPIO0 low, EN high: the ROM samples GPIO0 and enters download mode
  co_await link.delay(gpio0_hold_);   // esptool's reset_delay: GPIO0 must stay low until the ROM has sampled it
  link.set_modem_lines(false, std::nullopt);  // release GPIO0
  co_return true;
}

asio::awaitable<bool> UsbJtagReset::run(serial::Link& link) const {
  if (!link.set_modem_lines(false, false)) co_return false;  // idle
  co_await link.delay(Millis(100));
  link.set_modem_lines(true, false);  // GPIO0 requested low
  co_await link.delay(Millis(100));
  // Through (1,1) rather than (0,0): the peripheral reads "RTS with DTR low" as reset and keeps GPIO0 latched.
  link.set_modem_lines(std::nullopt, true);
  link.set_modem_lines(false, true);
  co_await link.delay(Millis(100));
  link.set_modem_lines(false, false);  // out of reset, into the ROM loader
  co_return true;
}

asio::awaitable<bool> HardReset::run(serial::Link& link) const {
  if (!link.set_modem_lines(false, true)) co_return false;  // EN low with GPIO0 high
  co_await link.delay(Millis(100));
  link.set_modem_lines(std::nullopt, false);  // EN high: the application boots
  co_return true;
}

asio::awaitable<bool> NoReset::run(serial::Link&) const { co_return true; }

asio::awaitable<bool> SequenceReset::run(serial::Link& link) const {
  for (const auto& step : sequence_.steps) {
    bool applied = true;
    switch (step.kind) {
      case ResetStep::Kind::set_dtr: applied = link.set_modem_lines(step.dtr, std::nullopt); break;
      case ResetStep::Kind::set_rts: applied = link.set_modem_lines(std::nullopt, step.rts); break;
      case ResetStep::Kind::set_both: applied = link.set_modem_lines(step.dtr, step.rts); break;
      case ResetStep::Kind::wait:
        co_await link.delay(std::chrono::ceil<Millis>(step.wait));
        break;
    }
    if (!applied) co_return false;
  }
  co_return true;
}

std::unique_ptr<ResetStrategy> reset_for_attempt(const ConnectOptions& options, int attempt) {
  if (options.sequence) return std::make_unique<SequenceReset>(*options.sequence);
  if (options.before == BeforeReset::default_reset) {
    return std::make_unique<ClassicReset>(attempt % 2 == 0 ? kShortResetDelay : kLongResetDelay);
  }
  return make_reset(options.before);
}

std::string describe_reset(const ConnectOptions& options, int attempt) {
  if (options.sequence) return "reset-sequence " + format_reset_sequence(*options.sequence);
  if (options.before == BeforeReset::default_reset) {
    return fmt::format("default-reset (GPIO0 held {} ms)",
                       (attempt % 2 == 0 ? kShortResetDelay : kLongResetDelay).count());
  }
  return std::string(to_string(options.before));
}

BeforeReset before_for_port(BeforeReset requested, std::string_view implied_reset) {
  if (requested == BeforeReset::default_reset && implied_reset == "usb-reset") return BeforeReset::usb_reset;
  return requested;
}

std::unique_ptr<ResetStrategy> make_reset(BeforeReset before) {
  switch (before) {
    case BeforeReset::default_reset: return std::make_unique<ClassicReset>();
    case BeforeReset::usb_reset: return std::make_unique<UsbJtagReset>();
    case BeforeReset::no_reset: return std::make_unique<NoReset>();
  }
  return std::make_unique<NoReset>();
}

}  // namespace provision::loader
