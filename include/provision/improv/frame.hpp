// Improv Wi-Fi over serial: the frame codec (pure: bytes in, values out; no I/O).
// Frame: "IMPROV", version 1, type, length, data, checksum (low byte of the sum of all preceding bytes).
// RPC commands carry [command, data length, data]; RPC results carry [command, data length, strings], each
// string length-prefixed. See docs/wifi.md for the references.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace provision::improv {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::string_view kHeader = "IMPROV";
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kMaxData = 255;  // the length field is one byte

enum class PacketType : std::uint8_t {
  current_state = 0x01,
  error_state = 0x02,
  rpc_command = 0x03,
  rpc_result = 0x04
};

enum class Command : std::uint8_t {
  wifi_settings = 0x01,
  current_state = 0x02,
  device_info = 0x03,
  scan_networks = 0x04,
};

enum class State : std::uint8_t {
  authorization_required = 0x01,
  authorized = 0x02,
  provisioning = 0x03,
  provisioned = 0x04
};

enum class ErrorState : std::uint8_t {
  none = 0x00,
  invalid_rpc = 0x01,
  unknown_rpc = 0x02,
  unable_to_connect = 0x03,
  bad_hostname = 0x05,
  unknown = 0xFF,
};

const char* to_string(State state);
const char* to_string(ErrorState error);

struct Frame {
  PacketType type = PacketType::current_state;
  Bytes data;
};

// A frame header was found but what followed breaks the format (wrong checksum, version, type).
struct FrameProblem {
  std::string message;  // printable, names the bad field and its value
};

using Decoded = std::variant<Frame, FrameProblem>;

std::uint8_t checksum(std::span<const std::uint8_t> bytes);

// The whole frame. Throws Error(bad_input) when data exceeds 255 bytes.
Bytes encode_frame(PacketType type, std::span<const std::uint8_t> data);
// An RPC command frame: [command, length, data].
Bytes encode_rpc(Command command, std::span<const std::uint8_t> data = {});
// The payload of "send Wi-Fi settings": [ssid length, ssid, password length, password].
Bytes wifi_settings_data(std::string_view ssid, std::string_view password);

// Splits a byte stream (frames mixed with log text) into frames. Bytes outside frames are skipped. Holds at most
// one partial frame; never reads past what it was fed.
class FrameDecoder {
 public:
  void feed(std::span<const std::uint8_t> bytes);
  // The next complete frame or problem, or nullopt when more bytes are needed.
  std::optional<Decoded> next();
  // True when the buffer holds the start of a frame that has not completed (a frame cut off, if no more come).
  bool has_partial_frame() const;
  // Bytes held (of a partial frame, when has_partial_frame()).
  std::size_t buffered_bytes() const { return buffer_.size(); }

 private:
  Bytes buffer_;
};

struct RpcResult {
  std::uint8_t command = 0;
  std::vector<std::string> strings;
};

// Parses an RPC result frame's data. Throws Error(protocol) when the lengths do not add up.
RpcResult parse_rpc_result(std::span<const std::uint8_t> data);

}  // namespace provision::improv
