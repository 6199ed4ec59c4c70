// Improv Wi-Fi over serial, the station side: the client calls over a serial::Link (the frame codec is in
// provision/improv/frame.hpp).
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

#include "provision/improv/frame.hpp"
#include "provision/record.hpp"
#include "provision/serial.hpp"
#include "provision/wifi_settings.hpp"

namespace provision::improv {

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
