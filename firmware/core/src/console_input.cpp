#include "fw/console_input.hpp"

namespace fw {
namespace {

constexpr std::string_view kImprovHeader = "IMPROV";
constexpr std::size_t kImprovLengthOffset = 8;  // "IMPROV", version, type, then the payload length

}  // namespace

std::vector<ConsoleEvent> ConsoleInput::feed(std::string_view bytes) {
  std::vector<ConsoleEvent> events;
  for (char c : bytes) {
    if (in_frame_) {
      feed_frame_byte(c, events);
    } else {
      feed_line_byte(c, events);
    }
  }
  return events;
}

void ConsoleInput::feed_line_byte(char c, std::vector<ConsoleEvent>& events) {
  if (c == '\n') {
    if (!buffer_.empty() && buffer_.back() == '\r') buffer_.pop_back();
    if (overflowed_ || buffer_.size() > kMaxLineBytes) {
      events.push_back({ConsoleEvent::Kind::line_too_long, {}});
    } else {
      events.push_back({ConsoleEvent::Kind::line, std::move(buffer_)});
    }
    buffer_.clear();
    overflowed_ = false;
    return;
  }
  if (overflowed_) return;
  buffer_.push_back(c);
  // One byte of slack for the "\r" of a maximal line.
  if (buffer_.size() > kMaxLineBytes + 1) {
    overflowed_ = true;
    buffer_.clear();
    return;
  }
  if (buffer_ == kImprovHeader) in_frame_ = true;
}

void ConsoleInput::abandon_frame() {
  buffer_.clear();
  in_frame_ = false;
}

void ConsoleInput::feed_frame_byte(char c, std::vector<ConsoleEvent>& events) {
  buffer_.push_back(c);
  if (buffer_.size() <= kImprovLengthOffset) return;
  const auto payload_length = static_cast<unsigned char>(buffer_[kImprovLengthOffset]);
  // Header, version, type, length, payload, checksum.
  if (buffer_.size() < kImprovLengthOffset + 1 + payload_length + 1) return;
  events.push_back({ConsoleEvent::Kind::improv_frame, std::move(buffer_)});
  buffer_.clear();
  in_frame_ = false;
}

}  // namespace fw
