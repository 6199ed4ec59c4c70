// The wifi step: configuring WiFi on the running firmware over its AT console (firmware/PROTOCOL.md section 5),
// and managing its saved networks. Every operation is a coroutine over a serial::Link, so one io_context drives
// many devices. The workflow calls, per device:
//
//   co_await wifi::wait_ready(link, ready_timeout);             // +READY after boot, or AT until OK
//   auto connected = co_await wifi::configure(link, settings, options);
//   auto device = co_await wifi::info(link);                    // compare device.uuid with the flashed one
//   auto pop = co_await wifi::read_pop(link);                   // secret
//
// Failures throw provision::Error: firmware_timeout (no console), device_timeout (a command got no final line),
// firmware_error (ERROR:<code>), wifi_wrong_password / wifi_ap_not_found / wifi_timeout / wifi_failed,
// wifi_list_full, bad_input (the inputs, checked before anything is sent). Passwords are masked in the link's
// trace and never appear in progress or error messages.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provision/progress.hpp"
#include "provision/record.hpp"
#include "provision/serial.hpp"
#include "provision/wifi/results.hpp"
#include "provision/wifi_at.hpp"
#include "provision/wifi_settings.hpp"

namespace provision::wifi {

namespace asio = boost::asio;
using serial::Link;
using Millis = std::chrono::milliseconds;

inline constexpr Millis kDefaultReadyTimeout{10000};
inline constexpr Millis kDefaultCommandTimeout{3000};
// The firmware ends every attempt within 15 s (PROTOCOL.md 5.4); the station waits a little longer.
inline constexpr Millis kDefaultConnectTimeout{20000};
inline constexpr Millis kScanTimeout{15000};

// One console session: the line reader's state over a link. Unsolicited lines (+READY, +WIFI:...) are kept apart
// from a command's data lines; log lines, stray bytes and Improv frames are ignored.
class Console {
 public:
  explicit Console(Link& link, Millis command_timeout = kDefaultCommandTimeout);
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;
  ~Console();

  Link& link() { return link_; }

  // Waits for +READY; after a short quiet time sends "AT" every half second until OK (a station that missed
  // +READY). Throws Error(firmware_timeout) after `timeout`. The first probe carries a ROM SYNC frame too (the
  // console answers its bytes with ERROR:unknown_command): a board waiting in the ROM loader answers it, and
  // that throws Error(wrong_mode) within a few hundred ms instead of the whole timeout.
  asio::awaitable<void> wait_ready(Millis timeout);

  // Sends one command line (without "\r\n") and returns its data lines once the final OK arrives.
  // ERROR:<code> throws the mapped Error; no final line within the timeout throws Error(device_timeout).
  // `secrets` are byte ranges of `line` masked in the trace.
  asio::awaitable<std::vector<at::Line>> command(std::string_view line, const serial::SecretRanges& secrets = {},
                                                 std::optional<Millis> timeout = std::nullopt);
  // The same for a command whose reply is a secret (AT+POP?): everything read meanwhile is masked in the trace.
  asio::awaitable<std::vector<at::Line>> secret_reply_command(std::string_view line);

  // The next unsolicited line named `name` (already received ones first), or nullopt after `timeout`.
  asio::awaitable<std::optional<at::Line>> wait_unsolicited(std::string_view name, Millis timeout);
  // Forgets unsolicited lines received so far (before starting something whose outcome is awaited).
  void forget_unsolicited() { unsolicited_.clear(); }

 private:
  using Clock = std::chrono::steady_clock;
  // Throws Error(wrong_mode) when the bytes wait_ready heard are the ROM loader's (board_output.hpp).
  void refuse_rom_loader();
  asio::awaitable<std::optional<std::string>> next_line(Clock::time_point deadline);
  asio::awaitable<void> drain_answers(Millis quiet);

  Link& link_;
  Millis command_timeout_;
  struct State;
  std::unique_ptr<State> state_;
  std::deque<at::Line> unsolicited_;
};

// ---- operations ------------------------------------------------------------------------------------------------
// Arguments are references the coroutine reads while it runs: keep them alive until its co_await completes
// (`co_await configure(link, settings, options)` with named values). By-value parameters would be safer, but g++ 12
// destroys a by-value argument copied inside a co_await expression twice.

struct ConfigureOptions {
  Millis connect_timeout = kDefaultConnectTimeout;
  Millis command_timeout = kDefaultCommandTimeout;
  Millis ready_timeout = kDefaultReadyTimeout;  // for the firmware to come back after AT+REBOOT
  bool no_reboot = false;
  ProgressSink progress;
  std::string device;  // names the device in progress events
};

asio::awaitable<void> wait_ready(Link& link, Millis timeout = kDefaultReadyTimeout);

// The seed's sequence: AT+WIFI_SSID, AT+WIFI_PASSWORD, AT+WIFI_CONNECT, the +WIFI: result, then AT+REBOOT (and
// +READY) unless no_reboot. The settings are checked first (wifi_settings.hpp).
asio::awaitable<ConnectResult> configure(Link& link, const WifiSettings& settings,
                                         const ConfigureOptions& options = {});

asio::awaitable<DeviceInfo> info(Link& link, Millis timeout = kDefaultCommandTimeout);
asio::awaitable<WifiStatus> status(Link& link, Millis timeout = kDefaultCommandTimeout);
asio::awaitable<std::vector<ScannedNetwork>> scan(Link& link, Millis timeout = kScanTimeout);
asio::awaitable<std::vector<SavedNetwork>> list(Link& link, Millis timeout = kDefaultCommandTimeout);
// Saves a network at the lowest priority (a saved SSID gets the new password and keeps its place).
asio::awaitable<void> add(Link& link, const WifiSettings& settings, Millis timeout = kDefaultCommandTimeout);
asio::awaitable<void> remove(Link& link, const std::string& ssid, Millis timeout = kDefaultCommandTimeout);
// Moves a saved network to priority `index` (0 = first).
asio::awaitable<void> move(Link& link, const std::string& ssid, int index, Millis timeout = kDefaultCommandTimeout);
// Connects to a saved network now and waits for the result.
asio::awaitable<ConnectResult> select(Link& link, const std::string& ssid, Millis connect_timeout = kDefaultConnectTimeout);
// The proof of possession (64 lower-case hex; a secret).
asio::awaitable<std::string> read_pop(Link& link, Millis timeout = kDefaultCommandTimeout);
// These end with the firmware restarting; factory_reset and reboot wait until it is ready again.
asio::awaitable<void> factory_reset(Link& link, Millis ready_timeout = kDefaultReadyTimeout);
asio::awaitable<void> reboot(Link& link, Millis ready_timeout = kDefaultReadyTimeout);
asio::awaitable<void> enter_bootloader(Link& link);

}  // namespace provision::wifi
