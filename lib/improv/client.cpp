// The Improv Wi-Fi serial client: RPC commands over a Link, answers read with the frame codec.
#include <fmt/format.h>

#include <array>
#include <charconv>

#include "provision/error.hpp"
#include "provision/improv.hpp"

namespace provision::improv {
namespace {

// A frame whose bytes stop arriving for this long is cut off (the firmware uses the same 1 s, PROTOCOL.md 6).
constexpr Millis kFrameGap{1000};
// After "provisioned", the RPC result with the redirect URL follows at once on a conforming device.
constexpr Millis kRedirectWait{1000};
constexpr std::size_t kHeaderBytes = 9;

long long ms(Millis duration) { return static_cast<long long>(duration.count()); }

const char* command_name(Command command) {
  switch (command) {
    case Command::wifi_settings:
      return "send Wi-Fi settings";
    case Command::current_state:
      return "request current state";
    case Command::device_info:
      return "request device info";
    case Command::scan_networks:
      return "request scanned networks";
  }
  return "?";
}

Error no_answer(const serial::Link& link, Command command, Millis waited) {
  return Error(ErrorCode::device_timeout,
               fmt::format("{}: no Improv answer to '{}' within {} ms; check that the firmware speaks Improv Wi-Fi "
                           "serial at 115200 baud (or use --protocol at)",
                           link.name(), command_name(command), ms(waited)));
}

std::uint8_t single_byte(const Frame& frame, std::string_view what) {
  if (frame.data.size() != 1) {
    throw Error(ErrorCode::protocol,
                fmt::format("the device sent an Improv {} frame with {} data bytes (expected 1)", what,
                            frame.data.size()));
  }
  return frame.data[0];
}

}  // namespace

Client::Client(serial::Link& link, Millis answer_timeout) : link_(link), answer_timeout_(answer_timeout) {}

asio::awaitable<void> Client::send(Command command, std::span<const std::uint8_t> data, bool data_is_secret,
                                   std::size_t secret_from) {
  Bytes frame = encode_rpc(command, data);
  serial::SecretRanges secrets;
  // The secret runs to the end of the frame: the checksum byte is a function of the password too.
  if (data_is_secret) secrets.push_back({kHeaderBytes + 2 + secret_from, frame.size()});
  frame.push_back('\n');  // clients end a frame with a line feed; a line-based console sees an empty line
  co_await link_.write(frame, secrets);
}

asio::awaitable<std::optional<Frame>> Client::next_frame(Clock::time_point deadline) {
  std::array<std::uint8_t, 512> buffer{};
  while (true) {
    if (auto decoded = decoder_.next()) {
      if (auto* problem = std::get_if<FrameProblem>(&*decoded)) {
        throw Error(ErrorCode::protocol,
                    fmt::format("{}: the device sent a bad Improv frame: {}", link_.name(), problem->message));
      }
      co_return std::get<Frame>(std::move(*decoded));
    }
    auto now = Clock::now();
    bool partial = decoder_.has_partial_frame();
    if (now >= deadline && !partial) co_return std::nullopt;
    auto wait = partial ? kFrameGap : std::max(Millis(1), std::chrono::ceil<Millis>(deadline - now));
    std::size_t n = co_await link_.read_some(buffer, wait);
    // A device trickling bytes into a frame that never ends is cut off too, one gap after the deadline.
    if ((n == 0 && partial) || (partial && Clock::now() > deadline + kFrameGap)) {
      throw Error(ErrorCode::protocol,
                  fmt::format("{}: an Improv frame from the device stopped after {} bytes (cut off; its length "
                              "field promised more)",
                              link_.name(), decoder_.buffered_bytes()));
    }
    decoder_.feed(std::span(buffer.data(), n));
  }
}

asio::awaitable<std::optional<RpcResult>> Client::next_result(Command command, Clock::time_point deadline) {
  for (;;) {  // not `while (auto x = co_await ...)`: GCC 12 miscompiles co_await in conditions
    auto frame = co_await next_frame(deadline);
    if (!frame) break;
    if (frame->type == PacketType::error_state) {
      auto error = static_cast<ErrorState>(single_byte(*frame, "error state"));
      if (error != ErrorState::none) throw error_for(error);
    } else if (frame->type == PacketType::rpc_result) {
      auto result = parse_rpc_result(frame->data);
      if (result.command == static_cast<std::uint8_t>(command)) co_return result;
    } else if (frame->type == PacketType::current_state) {
      single_byte(*frame, "current state");  // checked, but a state push is not the answer
    }
  }
  co_return std::nullopt;
}

asio::awaitable<DeviceInfo> Client::device_info() {
  co_await send(Command::device_info, {});
  auto result = co_await next_result(Command::device_info, Clock::now() + answer_timeout_);
  if (!result) throw no_answer(link_, Command::device_info, answer_timeout_);
  if (result->strings.size() < 4) {
    throw Error(ErrorCode::protocol, fmt::format("the device's Improv device info holds {} strings (expected 4: "
                                                 "firmware name, version, chip family, device name)",
                                                 result->strings.size()));
  }
  co_return DeviceInfo{result->strings[0], result->strings[1], result->strings[2], result->strings[3]};
}

asio::awaitable<State> Client::current_state() {
  co_await send(Command::current_state, {});
  const auto deadline = Clock::now() + answer_timeout_;
  for (;;) {  // not `while (auto x = co_await ...)`: GCC 12 miscompiles co_await in conditions
    auto frame = co_await next_frame(deadline);
    if (!frame) break;
    if (frame->type == PacketType::current_state) {
      auto state = single_byte(*frame, "current state");
      if (state < 0x01 || state > 0x04) {
        throw Error(ErrorCode::protocol, fmt::format("the device sent Improv state 0x{:02x}, which is none of "
                                                     "01..04",
                                                     state));
      }
      co_return static_cast<State>(state);
    }
    if (frame->type == PacketType::error_state) {
      auto error = static_cast<ErrorState>(single_byte(*frame, "error state"));
      if (error != ErrorState::none) throw error_for(error);
    }
  }
  throw no_answer(link_, Command::current_state, answer_timeout_);
}

asio::awaitable<std::vector<Network>> Client::scan(Millis timeout) {
  co_await send(Command::scan_networks, {});
  const auto deadline = Clock::now() + timeout;
  std::vector<Network> networks;
  while (true) {
    auto result = co_await next_result(Command::scan_networks, deadline);
    if (!result) throw no_answer(link_, Command::scan_networks, timeout);
    if (result->strings.empty()) co_return networks;  // the empty result ends the list
    if (result->strings.size() < 3) {
      throw Error(ErrorCode::protocol,
                  fmt::format("the device's Improv scan result holds {} strings (expected SSID, RSSI, auth)",
                              result->strings.size()));
    }
    Network network{result->strings[0], 0, result->strings[2] == "YES"};
    const auto& rssi = result->strings[1];
    auto [end, error] = std::from_chars(rssi.data(), rssi.data() + rssi.size(), network.rssi_dbm);
    if (error != std::errc{} || end != rssi.data() + rssi.size()) {
      throw Error(ErrorCode::protocol, fmt::format("the device's Improv scan result has RSSI '{}', not a number",
                                                   rssi.substr(0, 20)));
    }
    networks.push_back(std::move(network));
  }
}

asio::awaitable<Provisioned> Client::provision(const wifi::WifiSettings& settings, Millis connect_timeout) {
  wifi::validate(settings);
  Bytes data = wifi_settings_data(settings.ssid, settings.password);
  // [ssid length, ssid, password length, password]: the secret starts at the password's length byte + 1.
  co_await send(Command::wifi_settings, data, !settings.password.empty(), 1 + settings.ssid.size() + 1);
  Provisioned provisioned{settings.ssid, {}};
  auto deadline = Clock::now() + connect_timeout;
  bool started = false, connected = false;
  for (;;) {  // not `while (auto x = co_await ...)`: GCC 12 miscompiles co_await in conditions
    auto frame = co_await next_frame(deadline);
    if (!frame) break;
    if (frame->type == PacketType::error_state) {
      auto error = static_cast<ErrorState>(single_byte(*frame, "error state"));
      if (error != ErrorState::none) throw error_for(error);
    } else if (frame->type == PacketType::current_state) {
      auto state = static_cast<State>(single_byte(*frame, "current state"));
      if (state == State::provisioning) started = true;
      // "provisioned" before "provisioning" is an older connection's news, not this attempt's outcome.
      if (state == State::provisioned && started && !connected) {
        connected = true;
        deadline = std::min(deadline, Clock::now() + kRedirectWait);
      }
    } else if (frame->type == PacketType::rpc_result) {
      auto result = parse_rpc_result(frame->data);
      if (result.command != static_cast<std::uint8_t>(Command::wifi_settings)) continue;
      provisioned.redirect_urls = std::move(result.strings);
      co_return provisioned;
    }
  }
  if (connected) co_return provisioned;  // provisioned, but no RPC result with a URL followed
  throw Error(ErrorCode::wifi_timeout,
              fmt::format("WiFi: the Improv device reported no outcome within {} ms ({}); allow more time with "
                          "--connect-timeout",
                          ms(connect_timeout), started ? "it was provisioning" : "it never said it started"));
}

asio::awaitable<std::optional<DeviceInfo>> probe(serial::Link& link, Millis timeout) {
  Client client(link, timeout);
  try {
    co_return co_await client.device_info();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::device_timeout) throw;
  }
  co_return std::nullopt;
}

Error error_for(ErrorState error) {
  switch (error) {
    case ErrorState::unable_to_connect:
      return Error(ErrorCode::wifi_failed,
                   "WiFi: the Improv device reports 'unable to connect' (error 0x03): a wrong password or an access "
                   "point out of range; Improv does not say which (--protocol at does)");
    case ErrorState::invalid_rpc:
      return Error(ErrorCode::firmware_error,
                   "the Improv device refused the request as invalid (error 0x01): check the SSID and password limits");
    case ErrorState::unknown_rpc:
      return Error(ErrorCode::firmware_error, "the Improv device does not know this RPC command (error 0x02)");
    case ErrorState::bad_hostname:
      return Error(ErrorCode::firmware_error, "the Improv device reports a bad hostname (error 0x05)");
    case ErrorState::unknown:
      return Error(ErrorCode::firmware_error,
                   "the Improv device reports an unknown error (0xFF): it may be busy with another connection "
                   "attempt, have 8 networks saved, or have failed to write its flash");
    case ErrorState::none:
      break;
  }
  if (error == ErrorState::none) return Error(ErrorCode::internal, "improv: error_for(none)");
  return Error(ErrorCode::firmware_error,
               fmt::format("the Improv device reports error 0x{:02x}, which the specification does not define",
                           static_cast<unsigned>(error)));
}

Record info_fields(const DeviceInfo& info) {
  Record fields = Record::object();
  fields["fw_name"] = info.firmware_name;
  fields["fw_version"] = info.firmware_version;
  fields["chip_family"] = info.chip_family;
  fields["device_name"] = info.device_name;
  return fields;
}

Record provisioned_fields(const Provisioned& result) {
  Record fields = Record::object();
  fields["wifi_ssid"] = result.ssid;
  fields["wifi_protocol"] = "improv";
  if (!result.redirect_urls.empty()) fields["redirect_url"] = result.redirect_urls.front();
  return fields;
}

Record scan_fields(const std::vector<Network>& networks) {
  Record list = Record::array();
  for (const auto& n : networks) {
    list.push_back(Record{{"ssid", n.ssid}, {"rssi", n.rssi_dbm}, {"auth_required", n.auth_required}});
  }
  return Record{{"networks", list}};
}

}  // namespace provision::improv
