#include "slip_codec.hpp"

namespace sim {
namespace {
constexpr std::uint8_t kEnd = 0xC0;
constexpr std::uint8_t kEsc = 0xDB;
constexpr std::uint8_t kEscEnd = 0xDC;
constexpr std::uint8_t kEscEsc = 0xDD;
// The largest command a ROM accepts: 16 header bytes + a 16 KiB data block, with margin.
constexpr std::size_t kMaxFrameBytes = 0x10000 + 64;
}  // namespace

std::optional<Bytes> SlipDecoder::feed(std::uint8_t byte) {
  if (byte == kEnd) {
    std::optional<Bytes> result;
    if (in_frame_ && !discarding_ && !escaping_ && !frame_.empty()) result = std::move(frame_);
    // A delimiter both closes a frame and may open the next one (back-to-back frames share none on some hosts).
    frame_.clear();
    in_frame_ = true;
    escaping_ = false;
    discarding_ = false;
    return result;
  }
  if (!in_frame_ || discarding_) return std::nullopt;
  if (escaping_) {
    escaping_ = false;
    if (byte == kEscEnd) {
      frame_.push_back(kEnd);
    } else if (byte == kEscEsc) {
      frame_.push_back(kEsc);
    } else {
      discarding_ = true;
    }
  } else if (byte == kEsc) {
    escaping_ = true;
  } else {
    frame_.push_back(byte);
  }
  if (frame_.size() > kMaxFrameBytes) discarding_ = true;
  return std::nullopt;
}

void SlipDecoder::reset() {
  frame_.clear();
  in_frame_ = false;
  escaping_ = false;
  discarding_ = false;
}

Bytes slip_encode(const Bytes& payload) {
  Bytes out;
  out.reserve(payload.size() + 8);
  out.push_back(kEnd);
  for (std::uint8_t b : payload) {
    if (b == kEnd) {
      out.push_back(kEsc);
      out.push_back(kEscEnd);
    } else if (b == kEsc) {
      out.push_back(kEsc);
      out.push_back(kEscEsc);
    } else {
      out.push_back(b);
    }
  }
  out.push_back(kEnd);
  return out;
}

}  // namespace sim
