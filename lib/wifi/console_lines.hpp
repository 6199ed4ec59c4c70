// Splits the bytes a firmware console prints into lines (PROTOCOL.md 5 and 6). Pure: bytes in, lines out.
// Improv frames on the same console are skipped whole (their payload may hold '\n', which must not end a line);
// overlong runs without a line end are dropped so a babbling device cannot grow the buffer without bound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace provision::wifi {

class ConsoleLines {
 public:
  // Longer than any line the contract allows (512) with room for logs; beyond it the bytes are dropped.
  static constexpr std::size_t kMaxLineBytes = 4096;

  void feed(std::span<const std::uint8_t> bytes);
  // The next complete line without its "\r\n", or nullopt when more bytes are needed. `input_idle` says the device
  // has gone quiet: an Improv frame that started but never completed is then dropped, so it cannot swallow the
  // lines after it.
  std::optional<std::string> next(bool input_idle = false);
  // True while the buffer starts with an Improv frame that is not complete yet.
  bool holds_partial_frame() const;
  // Improv frames skipped so far (for diagnostics).
  std::size_t frames_skipped() const { return frames_skipped_; }
  std::size_t frames_dropped() const { return frames_dropped_; }

 private:
  enum class FrameCheck { not_a_frame, partial, complete };
  FrameCheck check_frame(std::size_t& frame_bytes) const;

  std::string buffer_;
  bool dropping_overlong_ = false;
  std::size_t frames_skipped_ = 0;
  std::size_t frames_dropped_ = 0;
};

}  // namespace provision::wifi
