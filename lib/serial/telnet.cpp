#include "telnet.hpp"

namespace provision::serial::telnet {

Bytes escape(std::span<const std::uint8_t> data) {
  Bytes out;
  out.reserve(data.size() + 8);
  for (auto b : data) {
    out.push_back(b);
    if (b == IAC) out.push_back(IAC);
  }
  return out;
}

Bytes negotiation(std::uint8_t verb, std::uint8_t option) { return {IAC, verb, option}; }

Bytes com_port(ComPort command, std::span<const std::uint8_t> value) {
  Bytes out{IAC, SB, COM_PORT, command};
  auto escaped = escape(value);
  out.insert(out.end(), escaped.begin(), escaped.end());
  out.push_back(IAC);
  out.push_back(SE);
  return out;
}

Bytes set_baud_command(unsigned baud) {
  const std::uint8_t value[4] = {static_cast<std::uint8_t>(baud >> 24), static_cast<std::uint8_t>(baud >> 16),
                                 static_cast<std::uint8_t>(baud >> 8), static_cast<std::uint8_t>(baud)};
  return com_port(set_baudrate, value);
}

void Decoder::feed(std::span<const std::uint8_t> bytes, Bytes& data, std::vector<Negotiation>& negotiations) {
  for (auto b : bytes) {
    switch (state_) {
      case State::data:
        if (b == IAC) {
          state_ = State::iac;
        } else {
          data.push_back(b);
        }
        break;
      case State::iac:
        if (b == IAC) {
          data.push_back(IAC);
          state_ = State::data;
        } else if (b == DO || b == DONT || b == WILL || b == WONT) {
          verb_ = b;
          state_ = State::verb;
        } else if (b == SB) {
          state_ = State::sb;
        } else {
          state_ = State::data;  // NOP, GA and the other two-byte commands carry nothing for us
        }
        break;
      case State::verb:
        negotiations.push_back({verb_, b});
        state_ = State::data;
        break;
      case State::sb:
        if (b == IAC) state_ = State::sb_iac;
        break;
      case State::sb_iac:
        state_ = (b == SE) ? State::data : State::sb;  // IAC IAC inside SB is an escaped 0xFF
        break;
    }
  }
}

}  // namespace provision::serial::telnet
