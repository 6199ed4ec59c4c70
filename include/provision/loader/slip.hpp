// SLIP framing (RFC 1055) as the ESP ROM serial loader uses it: every packet starts and ends with 0xC0; inside,
// 0xC0 is sent as 0xDB 0xDC and 0xDB 0xDD stands for 0xDB. Pure: bytes in, frames out; no I/O, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace provision::loader {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kSlipEnd = 0xC0;
inline constexpr std::uint8_t kSlipEsc = 0xDB;
inline constexpr std::uint8_t kSlipEscEnd = 0xDC;
inline constexpr std::uint8_t kSlipEscEsc = 0xDD;

// The whole frame: 0xC0, the escaped payload, 0xC0.
Bytes slip_encode(std::span<const std::uint8_t> payload);

enum class SlipFault {
  none,
  bad_escape,  // 0xDB followed by something other than 0xDC / 0xDD: the frame is dropped
  oversized,   // more than the decoder's limit before the closing 0xC0: the frame is dropped
};

struct SlipFrame {
  Bytes payload;  // decoded; for a faulted frame, what was decoded up to the fault (for messages)
  SlipFault fault = SlipFault::none;
};

// Streaming decoder. Bytes outside frames (a ROM boot banner, an application's log) are counted as noise and
// skipped; empty frames (two 0xC0 in a row, which a sender may use to flush the line) are ignored. A faulted
// frame is reported once and the decoder resynchronises on the next 0xC0.
class SlipDecoder {
 public:
  explicit SlipDecoder(std::size_t max_payload_bytes = 64 * 1024) : max_payload_(max_payload_bytes) {}

  void feed(std::span<const std::uint8_t> bytes);
  bool has_frame() const { return !frames_.empty(); }
  SlipFrame pop_frame();  // precondition: has_frame()

  // True while a frame has begun but not ended (a truncated frame when the stream stops here).
  bool inside_frame() const { return state_ != State::idle; }
  std::size_t partial_bytes() const { return current_.size(); }
  std::size_t noise_bytes() const { return noise_; }
  // Forgets a partial frame and queued frames (after a reset or a baud change the line restarts).
  void reset();

 private:
  enum class State { idle, in_frame, after_escape, discarding };
  void finish_frame();
  void fault(SlipFault kind);

  std::size_t max_payload_;
  State state_ = State::idle;
  Bytes current_;
  std::deque<SlipFrame> frames_;
  std::size_t noise_ = 0;
};

}  // namespace provision::loader
