#include <fmt/format.h>

#include "provision/error.hpp"
#include "provision/wifi_settings.hpp"

namespace provision::wifi {
namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_raw_key(std::string_view password) {
  if (password.size() != kRawKeyHexDigits) return false;
  for (char c : password) {
    if (!is_hex_digit(c)) return false;
  }
  return true;
}

Error bad_password(std::string message) {
  return Error(ErrorCode::bad_input, std::move(message), "password");
}

}  // namespace

void validate_ssid(std::string_view ssid) {
  if (ssid.empty() || ssid.size() > kSsidMaxBytes) {
    throw Error(ErrorCode::bad_input,
                fmt::format("ssid: {} bytes; a WiFi SSID has 1..{} bytes (UTF-8 characters may take several)",
                            ssid.size(), kSsidMaxBytes),
                "ssid");
  }
  if (ssid.find('\0') != std::string_view::npos) {
    // NVS stores strings up to their first NUL, so the device could not save such a network (PROTOCOL.md 5.2).
    throw Error(ErrorCode::bad_input, "ssid: contains a NUL byte (\\x00), which the device cannot store", "ssid");
  }
}

void validate_password(std::string_view password, bool open) {
  if (open) {
    if (!password.empty()) throw bad_password("password: --open means no password; drop one of the two");
    return;
  }
  if (password.empty()) {
    throw bad_password("password: empty; give the passphrase, or --open for a network without one");
  }
  if (is_raw_key(password)) return;
  if (password.size() < kPassphraseMinChars || password.size() > kPassphraseMaxChars) {
    throw bad_password(fmt::format(
        "password: {} characters; a WPA2 passphrase has {}..{} printable ASCII characters (or exactly {} hex "
        "digits for a raw key)",
        password.size(), kPassphraseMinChars, kPassphraseMaxChars, kRawKeyHexDigits));
  }
  for (size_t i = 0; i < password.size(); ++i) {
    auto c = static_cast<unsigned char>(password[i]);
    if (c < 0x20 || c > 0x7E) {
      // The position helps the user find the character without the message revealing the password.
      throw bad_password(fmt::format(
          "password: the character at position {} is not printable ASCII (0x20..0x7E); WPA2 passphrases allow "
          "only those",
          i + 1));
    }
  }
}

void validate(const WifiSettings& settings) {
  validate_ssid(settings.ssid);
  validate_password(settings.password, settings.open);
}

}  // namespace provision::wifi
