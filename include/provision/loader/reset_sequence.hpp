// Custom reset sequences in esptool's notation (its `custom_reset_sequence` setting), pure: text in, steps out.
//
//   "D0|R1|W0.1|D1|R0|W0.05|D0"   the classic auto-reset, one line at a time
//   "U0,1|W0.1|U1,0|W0.05|U0,0"   the same with both lines in one call (esptool's UnixTightReset)
//
// Commands are separated by '|': D<0|1> sets DTR, R<0|1> sets RTS, U<dtr>,<rts> sets both at once, W<seconds>
// waits (a decimal number of seconds, as esptool's time.sleep argument). 1 = asserted (the line driven low on a
// USB-UART bridge). The sequence is applied through the serial link's modem lines (Link::set_modem_lines).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace provision::loader {

struct ResetStep {
  enum class Kind { set_dtr, set_rts, set_both, wait };
  Kind kind = Kind::wait;
  bool dtr = false;                   // set_dtr, set_both
  bool rts = false;                   // set_rts, set_both
  std::chrono::microseconds wait{0};  // wait
  bool operator==(const ResetStep&) const = default;
};

struct ResetSequence {
  std::vector<ResetStep> steps;
  bool operator==(const ResetSequence&) const = default;
};

// Longest wait one W command may ask for, and most commands in a sequence: a typo such as W100 (seconds, not
// milliseconds) is refused instead of hanging a station for minutes.
inline constexpr double kMaxResetWaitSeconds = 10.0;
inline constexpr std::size_t kMaxResetSteps = 64;

// Throws Error(bad_input, field "reset-sequence") naming the command, its position and what is accepted.
ResetSequence parse_reset_sequence(std::string_view text);
// The canonical text of a sequence (waits in seconds, shortest form): parse(format(s)) == s.
std::string format_reset_sequence(const ResetSequence& sequence);
// Total time the waits take.
std::chrono::microseconds total_wait(const ResetSequence& sequence);

}  // namespace provision::loader
