// Which protocol carries the WiFi settings to a running firmware: its AT console (firmware/PROTOCOL.md section 5)
// or Improv Wi-Fi serial (section 6), or whichever the device answers. One choice for every caller (the wifi and
// info steps, the provision workflow), so `auto` means the same everywhere.
//
//   auto protocol = co_await wifi::choose_protocol(link, wifi::Protocol::automatic);
//   auto fields = co_await wifi::configure_over(link, settings, {.protocol = protocol});
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string_view>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include "provision/wifi.hpp"

namespace provision::wifi {

enum class Protocol { at, improv, automatic };

// Improv's device-info request is answered within a few console lines; a device quiet for this long speaks AT only.
inline constexpr Millis kImprovProbeTimeout{1000};

// "at", "improv", "auto". parse_protocol throws Error(usage) naming `field`, the value and the choices.
std::string_view to_string(Protocol protocol);
Protocol parse_protocol(std::string_view text, std::string_view field = "wifi_protocol");

// `wanted` itself for at and improv; for automatic, Improv when the device answers its device-info request within
// `probe_timeout`, AT otherwise. A device answering with bad Improv frames is an Error(protocol), not an AT device.
asio::awaitable<Protocol> choose_protocol(Link& link, Protocol wanted, Millis probe_timeout = kImprovProbeTimeout);

struct TransportOptions {
  Protocol protocol = Protocol::at;
  ConfigureOptions at;  // the AT sequence's timeouts, reboot and progress; Improv uses at.connect_timeout
  Millis improv_probe = kImprovProbeTimeout;
  bool wait_for_console = true;  // AT: wait for +READY (or OK to AT) first; false when the caller already did
};

// Sends the settings over the chosen protocol (automatic is resolved first) and returns the record's fields:
// wifi_ssid, ip, rssi over AT; wifi_ssid, redirect_url over Improv; wifi_protocol ("at" or "improv") always.
// Failures are the protocol's errors (wifi.hpp, improv.hpp): the same codes either way.
asio::awaitable<Record> configure_over(Link& link, const WifiSettings& settings, const TransportOptions& options);

// What the firmware reports about itself over the chosen protocol: AT+INFO? (info_fields) or Improv's device info
// (improv::info_fields), plus wifi_protocol when it was
// `automatic`. `at_info` receives the AT answer, for callers that check identity.
asio::awaitable<Record> device_info_over(Link& link, const TransportOptions& options,
                                         std::optional<DeviceInfo>* at_info = nullptr);

}  // namespace provision::wifi
