// Improv Wi-Fi over serial, the station side: the frame codec (pure) and the client calls over a SerialLink.
// Frame: "IMPROV", version 1, type, length, data, checksum (low byte of the sum of all preceding bytes).
// RPC commands carry [command, data length, data]; RPC results carry [command, data length, strings], each
// string length-prefixed. See docs/wifi.md for the references.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "provision/record.hpp"
#include "provision/serial.hpp"
#include "provision/wifi_settings.hpp"

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

// ---- the client over a serial link -----------------------------------------------------------------------------

namespace asio = boost::asio;
using Millis = std::chrono::milliseconds;

inline constexpr Millis kAnswerTimeout{3000};
inline constexpr Millis kScanTimeout{15000};
inline constexpr Millis kConnectTimeout{20000};

struct DeviceInfo {
  std::string firmware_name;
  std::string firmware_version;
  std::string chip_family;  // ESP32-C3, ...
  std::string device_name;
};

struct Network {
  std::string ssid;
  int rssi_dbm = 0;
  bool auth_required = false;
};

struct Provisioned {
  std::string ssid;
  std::vector<std::string> redirect_urls;  // empty when the device has none configured
};

// Improv Wi-Fi serial client; it must outlive the coroutines it starts (keep it in the calling coroutine's frame).
// A device that sends a bad frame (wrong checksum, version or type, RPC lengths that
// do not add up, a frame that stops arriving) gets Error(protocol) naming the problem; no answer in time gets
// Error(device_timeout); an Improv error state gets firmware_error, or wifi_failed for "unable to connect".
// Bytes outside frames (logs, AT lines) are skipped.
class Client {
 public:
  explicit Client(serial::Link& link, Millis answer_timeout = kAnswerTimeout);

  asio::awaitable<DeviceInfo> device_info();
  asio::awaitable<State> current_state();
  asio::awaitable<std::vector<Network>> scan(Millis timeout = kScanTimeout);
  // Sends the WiFi settings (checked first, wifi_settings.hpp) and waits for "provisioned" or an error. The
  // password is masked in the link's trace.
  asio::awaitable<Provisioned> provision(const wifi::WifiSettings& settings, Millis connect_timeout = kConnectTimeout);

 private:
  using Clock = std::chrono::steady_clock;
  asio::awaitable<void> send(Command command, std::span<const std::uint8_t> data, bool data_is_secret = false,
                             std::size_t secret_from = 0);
  // The next frame, or nullopt at the deadline. Throws on a bad or cut-off frame.
  asio::awaitable<std::optional<Frame>> next_frame(Clock::time_point deadline);
  // The next RPC result for `command`; error states throw. Nullopt at the deadline.
  asio::awaitable<std::optional<RpcResult>> next_result(Command command, Clock::time_point deadline);

  serial::Link& link_;
  Millis answer_timeout_;
  FrameDecoder decoder_;
};

// Asks for device info once and waits `timeout`: the info when an Improv device answered, nullopt when nothing did.
// A device that answers with bad frames is reported (Error(protocol)), not taken for a non-Improv device.
asio::awaitable<std::optional<DeviceInfo>> probe(serial::Link& link, Millis timeout);

// fw_name, fw_version, chip_family, device_name
Record info_fields(const DeviceInfo& info);
// wifi_ssid, wifi_protocol ("improv"), redirect_url (when the device gave one)
Record provisioned_fields(const Provisioned& result);
// {"networks": [{ssid, rssi, auth_required}, ...]}
Record scan_fields(const std::vector<Network>& networks);
// The Error an Improv error state stands for (none: Error(internal)).
Error error_for(ErrorState error);

}  // namespace provision::improv
