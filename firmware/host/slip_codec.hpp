// SLIP framing as the ESP ROM loaders use it (RFC 1055 with 0xC0 delimiters at both ends of every frame).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace sim {

using Bytes = std::vector<std::uint8_t>;

// Collects bytes into frames. Bytes outside a frame (boot noise, line garbage) are ignored; an invalid escape
// drops the frame, as the ROM does.
class SlipDecoder {
 public:
  // Returns a complete, non-empty frame when `byte` closes one.
  std::optional<Bytes> feed(std::uint8_t byte);
  void reset();

 private:
  Bytes frame_;
  bool in_frame_ = false;
  bool escaping_ = false;
  bool discarding_ = false;
};

Bytes slip_encode(const Bytes& payload);

}  // namespace sim
