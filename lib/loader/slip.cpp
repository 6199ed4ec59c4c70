#include "provision/loader/slip.hpp"

namespace provision::loader {

Bytes slip_encode(std::span<const std::uint8_t> payload) {
  Bytes out;
  out.reserve(payload.size() + payload.size() / 16 + 2);
  out.push_back(kSlipEnd);
  for (auto byte : payload) {
    if (byte == kSlipEnd) {
      out.push_back(kSlipEsc);
      out.push_back(kSlipEscEnd);
    } else if (byte == kSlipEsc) {
      out.push_back(kSlipEsc);
      out.push_back(kSlipEscEsc);
    } else {
      out.push_back(byte);
    }
  }
  out.push_back(kSlipEnd);
  return out;
}

void SlipDecoder::feed(std::span<const std::uint8_t> bytes) {
  for (auto byte : bytes) {
    switch (state_) {
      case State::idle:
        if (byte == kSlipEnd) {
          state_ = State::in_frame;
        } else {
          ++noise_;
        }
        break;
      case State::discarding:
        // A faulted frame's tail, up to its closing 0xC0.
        if (byte == kSlipEnd) state_ = State::idle;
        break;
      case State::in_frame:
        if (byte == kSlipEnd) {
          finish_frame();
        } else if (byte == kSlipEsc) {
          state_ = State::after_escape;
        } else if (current_.size() >= max_payload_) {
          fault(SlipFault::oversized);
        } else {
          current_.push_back(byte);
        }
        break;
      case State::after_escape:
        if (byte != kSlipEscEnd && byte != kSlipEscEsc) {
          fault(SlipFault::bad_escape);
          if (byte == kSlipEnd) state_ = State::idle;  // the escape was cut off by the frame's end
        } else if (current_.size() >= max_payload_) {
          fault(SlipFault::oversized);
        } else {
          current_.push_back(byte == kSlipEscEnd ? kSlipEnd : kSlipEsc);
          state_ = State::in_frame;
        }
        break;
    }
  }
}

void SlipDecoder::finish_frame() {
  // Two 0xC0 in a row: an empty frame, or a line flush before a real start. Take the second as an opening.
  if (current_.empty()) return;
  frames_.push_back(SlipFrame{std::move(current_), SlipFault::none});
  current_.clear();
  // Between frames the line may carry text (a boot banner, a log): count it as noise until the next 0xC0.
  state_ = State::idle;
}

void SlipDecoder::fault(SlipFault kind) {
  frames_.push_back(SlipFrame{std::move(current_), kind});
  current_.clear();
  state_ = State::discarding;
}

SlipFrame SlipDecoder::pop_frame() {
  SlipFrame frame = std::move(frames_.front());
  frames_.pop_front();
  return frame;
}

void SlipDecoder::reset() {
  state_ = State::idle;
  current_.clear();
  frames_.clear();
}

}  // namespace provision::loader
