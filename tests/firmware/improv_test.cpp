// Improv Wi-Fi serial: the frame codec, and the firmware answering Improv frames on the AT console.
#include <catch2/catch.hpp>

#include "firmware/memory_platform.hpp"
#include "fw/improv_codec.hpp"

namespace improv_test {

using fwtest::Device;
namespace improv = fw::improv;

namespace {

// Built here byte by byte (not with the codec under test): header, version 1, type, length, payload, checksum.
std::string frame(std::uint8_t type, const std::string& payload) {
  std::string bytes = "IMPROV";
  bytes.push_back(1);
  bytes.push_back(static_cast<char>(type));
  bytes.push_back(static_cast<char>(payload.size()));
  bytes += payload;
  unsigned sum = 0;
  for (char c : bytes) sum += static_cast<unsigned char>(c);
  bytes.push_back(static_cast<char>(sum & 0xFF));
  return bytes;
}

std::string rpc(std::uint8_t command, const std::string& data) {
  return frame(0x03, std::string(1, static_cast<char>(command)) + static_cast<char>(data.size()) + data);
}

std::string strings(std::initializer_list<std::string> values) {
  std::string out;
  for (const auto& v : values) out += static_cast<char>(v.size()) + v;
  return out;
}

struct Reply {
  std::uint8_t type;
  std::string payload;
};

// The Improv frames in console output (AT lines and line endings between them are skipped).
std::vector<Reply> frames_in(const std::string& out) {
  std::vector<Reply> replies;
  std::size_t at = 0;
  while ((at = out.find("IMPROV", at)) != std::string::npos) {
    REQUIRE(at + 9 <= out.size());
    const std::size_t length = static_cast<unsigned char>(out[at + 8]);
    REQUIRE(at + 10 + length <= out.size());
    const auto decoded = improv::decode_frame(out.substr(at, 10 + length));
    REQUIRE(decoded.frame);
    replies.push_back({decoded.frame->type, decoded.frame->payload});
    at += 10 + length;
  }
  return replies;
}

std::vector<Reply> send_frame(Device& device, const std::string& bytes) {
  device.firmware->on_console_bytes(bytes + "\n");  // clients end frames with a line feed
  return frames_in(device.platform.take_console());
}

std::string state(improv::State s) { return std::string(1, static_cast<char>(s)); }
std::string error(improv::Error e) { return std::string(1, static_cast<char>(e)); }

}  // namespace

TEST_CASE("improv frames carry the sum of all preceding bytes as checksum", "[firmware][improv]") {
  const std::string encoded = improv::encode_frame(improv::FrameType::current_state, std::string(1, '\x02'));
  CHECK(encoded == frame(0x01, std::string(1, '\x02')));
  std::string all;
  for (int b = 0; b < 255; ++b) all.push_back(static_cast<char>(b));
  const auto decoded = improv::decode_frame(improv::encode_frame(improv::FrameType::rpc_result, all));
  REQUIRE(decoded.frame);
  CHECK(decoded.frame->payload == all);
  CHECK(decoded.frame->type == 0x04);
}

TEST_CASE("improv decoding refuses a wrong checksum, length or header", "[firmware][improv]") {
  std::string good = frame(0x03, "\x03\x00");
  std::string bad = good;
  bad.back() = static_cast<char>(bad.back() + 1);
  CHECK(improv::decode_frame(bad).error == improv::DecodeError::bad_checksum);
  CHECK(improv::decode_frame(good.substr(0, good.size() - 1)).error == improv::DecodeError::bad_length);
  CHECK(improv::decode_frame(good + "x").error == improv::DecodeError::bad_length);
  CHECK(improv::decode_frame("IMPROX" + good.substr(6)).error == improv::DecodeError::bad_header);
  CHECK_FALSE(improv::decode_rpc(std::string("\x01\x05\x00", 3)));
  CHECK_FALSE(improv::decode_strings(std::string("\x05" "abc")));
  CHECK(improv::decode_strings(strings({"a,b", "", "\"q\""})) == std::vector<std::string>{"a,b", "", "\"q\""});
}

TEST_CASE("improv device info names the firmware, chip family and device", "[firmware][improv]") {
  Device device;
  device.boot();
  const auto replies = send_frame(device, rpc(0x03, ""));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].type == 0x04);
  CHECK(replies[0].payload == std::string("\x03", 1) + static_cast<char>(strings({"espprov-fw", "1.0.0", "ESP32-C3",
                                                                                   "espprov-d3e4f5"}).size()) +
                                  strings({"espprov-fw", "1.0.0", "ESP32-C3", "espprov-d3e4f5"}));
}

TEST_CASE("improv current state is ready, then provisioned after a connection", "[firmware][improv]") {
  Device device;
  device.boot();
  auto replies = send_frame(device, rpc(0x02, ""));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].type == 0x01);
  CHECK(replies[0].payload == state(improv::State::ready));
  device.platform.access_points.push_back({"net", ""});
  device.send("AT+WIFI_SSID=\"net\"");
  device.send("AT+WIFI_CONNECT");
  device.complete_connect();
  replies = send_frame(device, rpc(0x02, ""));
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].payload == state(improv::State::provisioned));
  CHECK(replies[1].payload == std::string("\x02\x00", 2));
}

TEST_CASE("improv provisioning saves the network where AT+WIFI_LIST? shows it", "[firmware][improv]") {
  Device device;
  device.boot();
  const std::string ssid = "Caf\xc3\xa9, \"Gast\"=\\";
  device.platform.access_points.push_back({ssid, "pass word,\"=", -40});
  auto replies = send_frame(device, rpc(0x01, strings({ssid, "pass word,\"="})));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].payload == state(improv::State::provisioning));
  device.firmware->on_wifi_event(*device.platform.resolve_pending());
  const std::string out = device.platform.take_console();
  CHECK(out.find("+WIFI:CONNECTED,192.168.4.23,-40") != std::string::npos);
  replies = frames_in(out);
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].payload == state(improv::State::provisioned));
  CHECK(replies[1].type == 0x04);
  CHECK(replies[1].payload == std::string("\x01\x00", 2));  // no redirect URL configured
  CHECK(device.send("AT+WIFI_LIST?") == std::vector<std::string>{"+WIFI_LIST:0,\"Caf\xc3\xa9, \\\"Gast\\\"=\\\\\"", "OK"});
}

TEST_CASE("improv reports a wrong password as unable to connect, then ready", "[firmware][improv]") {
  Device device;
  device.boot();
  device.platform.access_points.push_back({"net", "rightpassword"});
  send_frame(device, rpc(0x01, strings({"net", "wrongpassword"})));
  device.firmware->on_wifi_event(*device.platform.resolve_pending());
  const auto replies = frames_in(device.platform.take_console());
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].type == 0x02);
  CHECK(replies[0].payload == error(improv::Error::unable_to_connect));
  CHECK(replies[1].payload == state(improv::State::ready));
  CHECK(device.send("AT+WIFI_LIST?") == std::vector<std::string>{"OK"});
}

TEST_CASE("improv scan sends one result per network, strongest first, then an empty one", "[firmware][improv]") {
  Device device;
  device.boot();
  device.platform.access_points = {{"open-net", "", -70, fw::WifiAuth::open, 1}, {"secure", "x", -40}};
  const auto replies = send_frame(device, rpc(0x04, ""));
  REQUIRE(replies.size() == 3);
  CHECK(replies[0].payload.substr(2) == strings({"secure", "-40", "YES"}));
  CHECK(replies[1].payload.substr(2) == strings({"open-net", "-70", "NO"}));
  CHECK(replies[2].payload == std::string("\x04\x00", 2));
}

TEST_CASE("improv answers bad frames with error states and AT keeps working", "[firmware][improv]") {
  Device device;
  device.boot();
  std::string bad = rpc(0x03, "");
  bad.back() = static_cast<char>(bad.back() ^ 0x55);
  auto replies = send_frame(device, bad);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].payload == error(improv::Error::invalid_rpc));
  replies = send_frame(device, rpc(0x7E, ""));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].payload == error(improv::Error::unknown_command));
  replies = send_frame(device, rpc(0x01, strings({"only-ssid"})));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].payload == error(improv::Error::invalid_rpc));
  replies = send_frame(device, rpc(0x01, strings({std::string(33, 's'), ""})));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].payload == error(improv::Error::invalid_rpc));
  CHECK(device.send("AT") == std::vector<std::string>{"OK"});
}

TEST_CASE("a cut-off improv frame is dropped after a pause and the console recovers", "[firmware][improv]") {
  Device device;
  device.boot();
  device.firmware->on_console_bytes(std::string("IMPROV\x01\x03\x20", 9));  // promises 32 bytes, sends none
  device.platform.advance_ms(1000);
  device.firmware->poll();
  CHECK(device.send("AT") == std::vector<std::string>{"OK"});
}

TEST_CASE("the device sends no improv frames to a station that only speaks AT", "[firmware][improv]") {
  Device device;
  device.boot();
  device.platform.access_points.push_back({"net", ""});
  device.send("AT+WIFI_SSID=\"net\"");
  device.send("AT+WIFI_CONNECT");
  CHECK(device.complete_connect() == std::vector<std::string>{"+WIFI:CONNECTED,192.168.4.23,-50"});
}

}  // namespace improv_test
