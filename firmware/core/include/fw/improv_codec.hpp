// Improv Wi-Fi serial frames (improv-wifi.com/serial): "IMPROV", version 1, type, payload length, payload,
// checksum = sum of all preceding bytes mod 256. RPC payloads: command, data length, data; strings inside RPC
// data and results are length-prefixed. Pure: bytes in, values out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fw::improv {

constexpr std::uint8_t kVersion = 1;

enum class FrameType : std::uint8_t { current_state = 0x01, error_state = 0x02, rpc_command = 0x03, rpc_result = 0x04 };
enum class State : std::uint8_t { ready = 0x02, provisioning = 0x03, provisioned = 0x04 };
enum class Error : std::uint8_t { none = 0x00, invalid_rpc = 0x01, unknown_command = 0x02, unable_to_connect = 0x03,
                                  unknown = 0xFF };
enum class Command : std::uint8_t { wifi_settings = 0x01, current_state = 0x02, device_info = 0x03, scan = 0x04 };

struct Frame {
  std::uint8_t version = kVersion;
  std::uint8_t type = 0;
  std::string payload;
};

enum class DecodeError { bad_header, bad_length, bad_checksum };

struct DecodeResult {
  std::optional<Frame> frame;
  DecodeError error = DecodeError::bad_header;
};

// Decodes one whole frame (header to checksum, nothing after).
DecodeResult decode_frame(std::string_view bytes);
// A frame with the checksum; payloads are at most 255 bytes (longer ones are cut, which callers avoid).
std::string encode_frame(FrameType type, std::string_view payload);

struct Rpc {
  std::uint8_t command = 0;
  std::string data;
};
// Command byte, data length byte, data; empty when the length byte does not match.
std::optional<Rpc> decode_rpc(std::string_view payload);

// Length-prefixed strings filling `data` exactly; empty when they do not.
std::optional<std::vector<std::string>> decode_strings(std::string_view data);
std::string encode_strings(const std::vector<std::string>& strings);

// An RPC result payload: command, data length, the strings.
std::string encode_rpc_result(Command command, const std::vector<std::string>& strings);

}  // namespace fw::improv
