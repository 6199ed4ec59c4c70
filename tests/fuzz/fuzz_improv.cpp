// libFuzzer target: the Improv frame decoder and RPC result parser over arbitrary device bytes. Any input must end
// in frames, problems or a partial frame; never a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <span>

#include "provision/error.hpp"
#include "provision/improv/frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace improv = provision::improv;
  improv::FrameDecoder decoder;
  // Feed in two uneven pieces so frames split across reads are exercised too.
  std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  std::span<const std::uint8_t> all(data, size);
  for (auto piece : {all.first(split), all.subspan(split)}) {
    decoder.feed(piece);
    while (auto item = decoder.next()) {
      if (const auto* frame = std::get_if<improv::Frame>(&*item)) {
        if (frame->type != improv::PacketType::rpc_result) continue;
        try {
          improv::parse_rpc_result(frame->data);
        } catch (const provision::Error&) {
        }
      }
    }
  }
  (void)decoder.has_partial_frame();
  return 0;
}
