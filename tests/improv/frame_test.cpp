// The Improv serial frame codec: every field, checksums, hostile bytes. No I/O.
#include <catch2/catch.hpp>
#include <string>

#include "provision/error.hpp"
#include "provision/improv/frame.hpp"

namespace frame_test {

namespace improv = provision::improv;
using improv::Bytes;

namespace {

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

std::vector<improv::Decoded> decode_all(const Bytes& stream) {
  improv::FrameDecoder decoder;
  decoder.feed(stream);
  std::vector<improv::Decoded> out;
  while (auto item = decoder.next()) out.push_back(*item);
  return out;
}

Bytes rpc_result(std::uint8_t command, const std::vector<std::string>& strings) {
  Bytes data{command, 0};
  for (const auto& s : strings) {
    data.push_back(static_cast<std::uint8_t>(s.size()));
    data.insert(data.end(), s.begin(), s.end());
  }
  data[1] = static_cast<std::uint8_t>(data.size() - 2);
  return improv::encode_frame(improv::PacketType::rpc_result, data);
}

}  // namespace

TEST_CASE("an improv frame is header, version, type, length, data and the low byte of the sum", "[improv]") {
  auto frame = improv::encode_rpc(improv::Command::current_state);
  Bytes expected{'I', 'M', 'P', 'R', 'O', 'V', 0x01, 0x03, 0x02, 0x02, 0x00};
  unsigned sum = 0;
  for (auto b : expected) sum += b;
  expected.push_back(static_cast<std::uint8_t>(sum & 0xFF));
  CHECK(frame == expected);
  CHECK(frame.back() == 0xE5);  // "IMPROV" sums to 0x1DD, + 1 + 3 + 2 + 2 + 0 = 0x1E5
}

TEST_CASE("wifi settings data carries length-prefixed ssid and password", "[improv]") {
  auto data = improv::wifi_settings_data("MyWirelessAP", "mysecurepassword");
  REQUIRE(data.size() == 1 + 12 + 1 + 16);
  CHECK(data[0] == 12);
  CHECK(data[13] == 16);
  auto rpc = improv::encode_rpc(improv::Command::wifi_settings, data);
  CHECK(rpc[9] == 0x01);
  CHECK(rpc[10] == 0x1E);  // the specification's example: 01 1E 0C ... 10 ...
  CHECK(improv::wifi_settings_data("open", "") == Bytes{4, 'o', 'p', 'e', 'n', 0});
}

TEST_CASE("a frame surrounded by log text decodes, every byte value preserved", "[improv]") {
  Bytes data;
  for (int i = 0; i < 200; ++i) data.push_back(static_cast<std::uint8_t>(i * 7));
  Bytes stream = bytes_of("I (31) boot: IMPRO\r\nIMP log\n");
  auto frame = improv::encode_frame(improv::PacketType::rpc_result, data);
  stream.insert(stream.end(), frame.begin(), frame.end());
  stream.push_back('\n');
  auto items = decode_all(stream);
  REQUIRE(items.size() == 1);
  REQUIRE(std::holds_alternative<improv::Frame>(items[0]));
  CHECK(std::get<improv::Frame>(items[0]).type == improv::PacketType::rpc_result);
  CHECK(std::get<improv::Frame>(items[0]).data == data);
}

TEST_CASE("a frame fed one byte at a time decodes once complete", "[improv]") {
  auto frame = improv::encode_frame(improv::PacketType::current_state, Bytes{0x02});
  improv::FrameDecoder decoder;
  for (size_t i = 0; i + 1 < frame.size(); ++i) {
    decoder.feed(std::span(&frame[i], 1));
    CHECK_FALSE(decoder.next().has_value());
  }
  CHECK(decoder.has_partial_frame());
  decoder.feed(std::span(&frame.back(), 1));
  auto item = decoder.next();
  REQUIRE(item.has_value());
  CHECK(std::get<improv::Frame>(*item).data == Bytes{0x02});
  CHECK_FALSE(decoder.has_partial_frame());
}

TEST_CASE("a wrong checksum, version or type is a problem that names the field", "[improv]") {
  auto frame = improv::encode_frame(improv::PacketType::error_state, Bytes{0x03});
  auto bad_sum = frame;
  bad_sum.back() ^= 0x55;
  auto bad_version = frame;
  bad_version[6] = 2;
  auto bad_type = frame;
  bad_type[7] = 0x09;
  for (const auto& [stream, word] : std::vector<std::pair<Bytes, std::string>>{
           {bad_sum, "checksum"}, {bad_version, "version"}, {bad_type, "type"}}) {
    auto items = decode_all(stream);
    REQUIRE_FALSE(items.empty());
    REQUIRE(std::holds_alternative<improv::FrameProblem>(items[0]));
    CHECK(std::get<improv::FrameProblem>(items[0]).message.find(word) != std::string::npos);
    for (const auto& item : items) CHECK_FALSE(std::holds_alternative<improv::Frame>(item));
  }
}

TEST_CASE("after a bad frame the decoder finds the next good one", "[improv]") {
  auto good = improv::encode_frame(improv::PacketType::current_state, Bytes{0x04});
  auto bad = good;
  bad.back() ^= 1;
  Bytes stream = bad;
  stream.insert(stream.end(), good.begin(), good.end());
  auto items = decode_all(stream);
  REQUIRE(items.size() == 2);
  CHECK(std::holds_alternative<improv::FrameProblem>(items[0]));
  CHECK(std::get<improv::Frame>(items[1]).data == Bytes{0x04});
}

TEST_CASE("a frame cut off stays partial and never becomes a frame", "[improv]") {
  auto full = rpc_result(0x03, {"espprov", "1.0"});
  REQUIRE(full.size() > 4);
  Bytes frame(full.begin(), full.end() - 4);
  improv::FrameDecoder decoder;
  decoder.feed(frame);
  CHECK_FALSE(decoder.next().has_value());
  CHECK(decoder.has_partial_frame());
}

TEST_CASE("rpc results split into their strings, with any bytes", "[improv]") {
  std::string hostile("a\0\"\\,\xff\n", 7);
  auto frame = rpc_result(0x04, {"Caf\xc3\xa9 \"net\"", "-60", "YES", hostile, ""});
  auto items = decode_all(frame);
  REQUIRE(items.size() == 1);
  auto result = improv::parse_rpc_result(std::get<improv::Frame>(items[0]).data);
  CHECK(result.command == 0x04);
  CHECK(result.strings == std::vector<std::string>{"Caf\xc3\xa9 \"net\"", "-60", "YES", hostile, ""});
  CHECK(improv::parse_rpc_result(Bytes{0x01, 0x00}).strings.empty());
}

TEST_CASE("rpc results whose lengths do not add up are protocol errors", "[improv]") {
  for (const auto& data :
       std::vector<Bytes>{{}, {0x03}, {0x03, 0x05, 1, 'a'}, {0x03, 0x02, 5, 'a'}, {0x03, 0x01, 0x01, 'x'}}) {
    try {
      improv::parse_rpc_result(data);
      FAIL("accepted");
    } catch (const provision::Error& e) {
      CHECK(e.code() == provision::ErrorCode::protocol);
    }
  }
}

TEST_CASE("more than 255 data bytes cannot be framed", "[improv]") {
  CHECK_THROWS_AS(improv::encode_frame(improv::PacketType::rpc_command, Bytes(256, 0)), provision::Error);
  CHECK_THROWS_AS(improv::encode_rpc(improv::Command::wifi_settings, Bytes(254, 0)), provision::Error);
  CHECK_NOTHROW(improv::encode_rpc(improv::Command::wifi_settings, Bytes(253, 0)));
}

}  // namespace frame_test
