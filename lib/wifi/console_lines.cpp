#include "wifi/console_lines.hpp"

#include <string_view>

namespace provision::wifi {
namespace {

constexpr std::string_view kImprovHeader = "IMPROV";
constexpr std::size_t kImprovFixedBytes = 9;  // "IMPROV", version, type, length; then data and one checksum byte

}  // namespace

void ConsoleLines::feed(std::span<const std::uint8_t> bytes) {
  buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

ConsoleLines::FrameCheck ConsoleLines::check_frame(std::size_t& frame_bytes) const {
  std::size_t known = std::min(buffer_.size(), kImprovHeader.size());
  if (buffer_.compare(0, known, kImprovHeader.substr(0, known)) != 0) return FrameCheck::not_a_frame;
  if (buffer_.size() < kImprovFixedBytes) return FrameCheck::partial;
  auto version = static_cast<std::uint8_t>(buffer_[6]);
  auto type = static_cast<std::uint8_t>(buffer_[7]);
  // Only a well-formed header counts as a frame; anything else that starts with IMPROV is a log line.
  if (version != 1 || type < 0x01 || type > 0x04) return FrameCheck::not_a_frame;
  frame_bytes = kImprovFixedBytes + static_cast<std::uint8_t>(buffer_[8]) + 1;
  if (buffer_.size() < frame_bytes) return FrameCheck::partial;
  unsigned sum = 0;
  for (std::size_t i = 0; i + 1 < frame_bytes; ++i) sum += static_cast<std::uint8_t>(buffer_[i]);
  return static_cast<std::uint8_t>(sum) == static_cast<std::uint8_t>(buffer_[frame_bytes - 1])
             ? FrameCheck::complete
             : FrameCheck::not_a_frame;
}

bool ConsoleLines::holds_partial_frame() const {
  std::size_t frame_bytes = 0;
  return !dropping_overlong_ && !buffer_.empty() && check_frame(frame_bytes) == FrameCheck::partial;
}

std::optional<std::string> ConsoleLines::next(bool input_idle) {
  while (true) {
    if (!dropping_overlong_) {
      std::size_t frame_bytes = 0;
      auto frame = buffer_.empty() ? FrameCheck::not_a_frame : check_frame(frame_bytes);
      if (frame == FrameCheck::complete) {
        buffer_.erase(0, frame_bytes);
        ++frames_skipped_;
        continue;
      }
      if (frame == FrameCheck::partial) {
        if (!input_idle) return std::nullopt;
        // As the firmware does (PROTOCOL.md 6): a frame whose bytes stopped arriving is dropped, so the lines
        // after it are read as lines.
        buffer_.clear();
        ++frames_dropped_;
        return std::nullopt;
      }
    }
    auto end = buffer_.find('\n');
    if (end == std::string::npos) {
      if (buffer_.size() > kMaxLineBytes) {
        buffer_.clear();
        dropping_overlong_ = true;  // the rest of this line is dropped too, up to its '\n'
      }
      return std::nullopt;
    }
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 1);
    if (dropping_overlong_) {
      dropping_overlong_ = false;
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
}

}  // namespace provision::wifi
