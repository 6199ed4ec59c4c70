// SLIP codec: encoding, streaming decode across arbitrary splits, and hostile input (noise, bad escapes,
// oversized and truncated frames). Pure: no I/O.
#include <catch2/catch.hpp>

#include "provision/loader/slip.hpp"

namespace slip_test {

using provision::loader::Bytes;
using provision::loader::slip_encode;
using provision::loader::SlipDecoder;
using provision::loader::SlipFault;

namespace {

std::vector<provision::loader::SlipFrame> drain(SlipDecoder& decoder) {
  std::vector<provision::loader::SlipFrame> frames;
  while (decoder.has_frame()) frames.push_back(decoder.pop_frame());
  return frames;
}

}  // namespace

TEST_CASE("slip_encode escapes 0xC0 and 0xDB and frames with 0xC0", "[loader][slip]") {
  Bytes payload{0x01, 0xC0, 0x02, 0xDB, 0x03};
  Bytes expected{0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xDB, 0xDD, 0x03, 0xC0};
  CHECK(slip_encode(payload) == expected);
  CHECK(slip_encode(Bytes{}) == Bytes{0xC0, 0xC0});
}

TEST_CASE("SLIP decoding gives back every payload whatever the read boundaries", "[loader][slip]") {
  Bytes payload;
  for (int i = 0; i < 300; ++i) payload.push_back(static_cast<std::uint8_t>(i * 37));  // holds 0xC0 and 0xDB
  auto wire = slip_encode(payload);
  auto second = slip_encode(Bytes{0xDB, 0xDB, 0xC0});
  wire.insert(wire.end(), second.begin(), second.end());
  for (std::size_t split : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    SlipDecoder decoder;
    for (std::size_t at = 0; at < wire.size(); at += split) {
      decoder.feed(std::span(wire).subspan(at, std::min(split, wire.size() - at)));
    }
    auto frames = drain(decoder);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].fault == SlipFault::none);
    CHECK(frames[0].payload == payload);
    CHECK(frames[1].payload == Bytes{0xDB, 0xDB, 0xC0});
    CHECK_FALSE(decoder.inside_frame());
  }
}

TEST_CASE("SLIP decoding skips boot banner text before and between frames", "[loader][slip]") {
  std::string banner = "ESP-ROM:esp32c3-api1-20210207\r\nwaiting for download\r\n";
  Bytes wire(banner.begin(), banner.end());
  auto frame = slip_encode(Bytes{0x01, 0x08});
  wire.insert(wire.end(), frame.begin(), frame.end());
  wire.insert(wire.end(), banner.begin(), banner.end());
  wire.insert(wire.end(), frame.begin(), frame.end());
  SlipDecoder decoder;
  decoder.feed(wire);
  auto frames = drain(decoder);
  REQUIRE(frames.size() == 2);
  CHECK(frames[1].payload == Bytes{0x01, 0x08});
  CHECK(decoder.noise_bytes() == 2 * banner.size());
}

TEST_CASE("SLIP decoding ignores empty frames (back-to-back 0xC0)", "[loader][slip]") {
  SlipDecoder decoder;
  decoder.feed(Bytes{0xC0, 0xC0, 0xC0, 0x05, 0xC0, 0xC0, 0xC0});
  auto frames = drain(decoder);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload == Bytes{0x05});
}

TEST_CASE("a bad escape drops that frame only and the next frame decodes", "[loader][slip]") {
  SlipDecoder decoder;
  decoder.feed(Bytes{0xC0, 0x01, 0xDB, 0x41, 0x02, 0xC0, 0xC0, 0x07, 0xC0});
  auto frames = drain(decoder);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].fault == SlipFault::bad_escape);
  CHECK(frames[0].payload == Bytes{0x01});
  CHECK(frames[1].fault == SlipFault::none);
  CHECK(frames[1].payload == Bytes{0x07});
}

TEST_CASE("an escape cut off by the frame end is a bad escape", "[loader][slip]") {
  SlipDecoder decoder;
  decoder.feed(Bytes{0xC0, 0x01, 0xDB, 0xC0, 0xC0, 0x09, 0xC0});
  auto frames = drain(decoder);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].fault == SlipFault::bad_escape);
  CHECK(frames[1].payload == Bytes{0x09});
}

TEST_CASE("an oversized frame is reported once and the decoder resynchronises", "[loader][slip]") {
  SlipDecoder decoder(16);
  Bytes wire{0xC0};
  wire.insert(wire.end(), 100, 0x11);
  wire.push_back(0xC0);
  auto ok = slip_encode(Bytes(16, 0x22));  // exactly the limit is fine
  wire.insert(wire.end(), ok.begin(), ok.end());
  decoder.feed(wire);
  auto frames = drain(decoder);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].fault == SlipFault::oversized);
  CHECK(frames[0].payload.size() == 16);
  CHECK(frames[1].fault == SlipFault::none);
  CHECK(frames[1].payload == Bytes(16, 0x22));
}

TEST_CASE("a truncated frame yields nothing and shows as a partial frame", "[loader][slip]") {
  SlipDecoder decoder;
  decoder.feed(Bytes{0xC0, 0x01, 0x02, 0x03});
  CHECK_FALSE(decoder.has_frame());
  CHECK(decoder.inside_frame());
  CHECK(decoder.partial_bytes() == 3);
  decoder.reset();
  CHECK_FALSE(decoder.inside_frame());
  decoder.feed(Bytes{0x04, 0xC0});  // the tail after a reset is noise, then a frame opens
  CHECK_FALSE(decoder.has_frame());
  CHECK(decoder.inside_frame());
}

}  // namespace slip_test
