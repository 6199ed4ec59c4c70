// libFuzzer: arbitrary bytes from a "device" through the SLIP decoder (with a small frame limit, split at
// input-chosen points) and every frame through the response parser with 2 and 4 status bytes. Nothing may crash,
// read out of bounds or loop; a clean frame must round-trip through slip_encode.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "provision/loader/command.hpp"
#include "provision/loader/slip.hpp"

using namespace provision::loader;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  SlipDecoder decoder(256);
  std::size_t split = 1 + data[0] % 17;
  std::span<const std::uint8_t> input(data + 1, size - 1);
  for (std::size_t at = 0; at < input.size(); at += split) {
    decoder.feed(input.subspan(at, std::min(split, input.size() - at)));
    while (decoder.has_frame()) {
      auto frame = decoder.pop_frame();
      if (frame.payload.size() > 256) std::abort();
      for (std::size_t status : {2u, 4u}) {
        auto parsed = parse_response(frame.payload, status);
        if (parsed.response && parsed.response->data.size() + 8 + status != frame.payload.size()) std::abort();
        if (!parsed.response && parsed.problem.empty()) std::abort();
      }
      if (frame.fault == SlipFault::none && !frame.payload.empty()) {
        SlipDecoder again;
        again.feed(slip_encode(frame.payload));
        if (!again.has_frame() || again.pop_frame().payload != frame.payload) std::abort();
      }
    }
  }
  return 0;
}
