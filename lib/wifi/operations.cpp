// The wifi step's operations over the AT console, and the record fields they produce.
#include <fmt/format.h>

#include "provision/error.hpp"
#include "provision/wifi.hpp"
#include "wifi/replies.hpp"
#include "wifi/shown.hpp"

namespace provision::wifi {
namespace {

// A command whose last argument is a password: the password's bytes inside the quotes are the secret range.
struct SecretCommand {
  std::string line;
  serial::SecretRanges secrets;
};

SecretCommand with_password(std::string head, std::string_view password) {
  SecretCommand command{std::move(head), {}};
  std::string quoted = at::quote(password);
  std::size_t begin = command.line.size() + 1;  // after the opening quote
  command.line += quoted;
  if (!password.empty()) command.secrets.push_back({begin, command.line.size() - 1});
  return command;
}

long long seconds_of(Millis duration) { return static_cast<long long>((duration.count() + 999) / 1000); }

asio::awaitable<ConnectResult> await_outcome(Console& console, const std::string& ssid, Millis timeout) {
  ConnectResult result;
  result.ssid = ssid;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::ceil<Millis>(deadline - std::chrono::steady_clock::now());
    // No co_await inside ?: : g++ 12 destroys the result of such an expression twice.
    std::optional<at::Line> line;
    if (left.count() > 0) line = co_await console.wait_unsolicited("WIFI", left);
    if (!line) {
      throw Error(ErrorCode::wifi_timeout,
                  fmt::format("WiFi '{}': no connection result from the device within {} s; check the access point, "
                              "or allow more time with --connect-timeout",
                              shown(ssid), seconds_of(timeout)));
    }
    if (replies::apply_connect_outcome(*line, result)) co_return result;
  }
}

void report_step(const ConfigureOptions& options, StepState state, std::string message) {
  report(options.progress, ProgressEvent{options.device, "wifi", state, state == StepState::done ? 1.0 : 0.0,
                                         std::move(message)});
}

asio::awaitable<ConnectResult> run_configure(Console& console, const WifiSettings& settings,
                                             const ConfigureOptions& options) {
  // Commands are built before co_await: g++ 12 miscompiles braced temporaries inside a co_await expression.
  const std::string ssid_line = at::command("WIFI_SSID", {settings.ssid});
  co_await console.command(ssid_line);
  auto password = with_password("AT+WIFI_PASSWORD=", settings.password);
  co_await console.command(password.line, password.secrets);
  co_await console.command("AT+WIFI_CONNECT");
  // Outcomes printed before the attempt started belong to an earlier (boot) attempt that this one replaced.
  console.forget_unsolicited();
  auto result = co_await await_outcome(console, settings.ssid, options.connect_timeout);
  if (!options.no_reboot) {
    report_step(options, StepState::progress, fmt::format("connected ({}), rebooting", result.ip));
    co_await console.command("AT+REBOOT");
    co_await console.wait_ready(options.ready_timeout);
    result.rebooted = true;
  }
  co_return result;
}

}  // namespace

asio::awaitable<void> wait_ready(Link& link, Millis timeout) {
  Console console(link);
  co_await console.wait_ready(timeout);
}

asio::awaitable<ConnectResult> configure(Link& link, const WifiSettings& settings, const ConfigureOptions& options) {
  validate(settings);
  report_step(options, StepState::started, fmt::format("connecting to '{}'", shown(settings.ssid)));
  Console console(link, options.command_timeout);
  std::optional<Error> failure;
  try {
    auto result = co_await run_configure(console, settings, options);
    report_step(options, StepState::done, fmt::format("connected, ip {}, rssi {} dBm", result.ip, result.rssi_dbm));
    co_return result;
  } catch (const Error& e) {
    failure = e;  // no co_await inside a handler
  }
  report_step(options, StepState::failed, failure->what());
  throw *failure;
}

asio::awaitable<DeviceInfo> info(Link& link, Millis timeout) {
  Console console(link, timeout);
  co_return replies::parse_info(co_await console.command("AT+INFO?"));
}

asio::awaitable<WifiStatus> status(Link& link, Millis timeout) {
  Console console(link, timeout);
  co_return replies::parse_status(co_await console.command("AT+WIFI_STATUS?"));
}

asio::awaitable<std::vector<ScannedNetwork>> scan(Link& link, Millis timeout) {
  Console console(link, timeout);
  co_return replies::parse_scan(co_await console.command("AT+WIFI_SCAN"));
}

asio::awaitable<std::vector<SavedNetwork>> list(Link& link, Millis timeout) {
  Console console(link, timeout);
  co_return replies::parse_list(co_await console.command("AT+WIFI_LIST?"));
}

asio::awaitable<void> add(Link& link, const WifiSettings& settings, Millis timeout) {
  validate(settings);
  Console console(link, timeout);
  const std::string head = at::command("WIFI_ADD", {settings.ssid}) + ",";
  auto command = with_password(head, settings.password);
  co_await console.command(command.line, command.secrets);
}

asio::awaitable<void> remove(Link& link, const std::string& ssid, Millis timeout) {
  validate_ssid(ssid);
  Console console(link, timeout);
  const std::string line = at::command("WIFI_DEL", {ssid});
  co_await console.command(line);
}

asio::awaitable<void> move(Link& link, const std::string& ssid, int index, Millis timeout) {
  validate_ssid(ssid);
  if (index < 0 || index >= static_cast<int>(kMaxSavedNetworks)) {
    throw Error(ErrorCode::bad_input,
                fmt::format("index: {}; a priority is 0 (first) .. {} and below the number of saved networks", index,
                            kMaxSavedNetworks - 1),
                "index");
  }
  Console console(link, timeout);
  const std::string line = at::command("WIFI_PRIO", {ssid, at::Bare{std::to_string(index)}});
  co_await console.command(line);
}

asio::awaitable<ConnectResult> select(Link& link, const std::string& ssid, Millis connect_timeout) {
  validate_ssid(ssid);
  Console console(link);
  const std::string line = at::command("WIFI_SELECT", {ssid});
  co_await console.command(line);
  console.forget_unsolicited();
  co_return co_await await_outcome(console, ssid, connect_timeout);
}

asio::awaitable<std::string> read_pop(Link& link, Millis timeout) {
  Console console(link, timeout);
  co_return replies::parse_pop(co_await console.secret_reply_command("AT+POP?"));
}

asio::awaitable<void> factory_reset(Link& link, Millis ready_timeout) {
  Console console(link);
  co_await console.command("AT+FACTORY_RESET");
  co_await console.wait_ready(ready_timeout);
}

asio::awaitable<void> reboot(Link& link, Millis ready_timeout) {
  Console console(link);
  co_await console.command("AT+REBOOT");
  co_await console.wait_ready(ready_timeout);
}

asio::awaitable<void> enter_bootloader(Link& link) {
  Console console(link);
  co_await console.command("AT+BOOTLOADER");
}

}  // namespace provision::wifi
