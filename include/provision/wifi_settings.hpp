// WiFi settings a station hands to a device, and the checks made before anything is sent (PROTOCOL.md 5.2, the
// same limits the firmware enforces). Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace provision::wifi {

inline constexpr std::size_t kSsidMaxBytes = 32;
inline constexpr std::size_t kPassphraseMinChars = 8;
inline constexpr std::size_t kPassphraseMaxChars = 63;
inline constexpr std::size_t kRawKeyHexDigits = 64;  // a WPA2 PSK given as 64 hex digits
inline constexpr std::size_t kMaxSavedNetworks = 8;

struct WifiSettings {
  std::string ssid;
  std::string password;  // secret; empty only for an open network
  bool open = false;     // the caller states that the network is open (and the password empty)
};

// Throws Error(bad_input, field "ssid"): 1..32 bytes, any bytes but NUL.
void validate_ssid(std::string_view ssid);
// Throws Error(bad_input, field "password"): empty iff `open`; else 8..63 printable ASCII or 64 hex digits.
// Messages never contain the password.
void validate_password(std::string_view password, bool open);
void validate(const WifiSettings& settings);

}  // namespace provision::wifi
