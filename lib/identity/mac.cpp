#include <fmt/format.h>

#include <algorithm>

#include "provision/hex.hpp"
#include "provision/identity.hpp"

namespace provision {

MacAddress parse_mac(std::string_view text) {
  if (text.empty()) {
    throw Error(ErrorCode::bad_input, "mac: empty; give 12 hex digits such as A0:B1:C2:D3:E4:F5 or A0B1C2D3E4F5",
                "mac");
  }
  std::string digits;
  for (char c : text) {
    if (c == ':' || c == '-') continue;
    digits.push_back(c);
  }
  // Separators, when used, must sit between every byte: "A0:B1:C2:D3:E4:F5" (17 characters).
  bool separated = digits.size() != text.size();
  if (separated && (text.size() != 17 || (text[2] != ':' && text[2] != '-'))) {
    throw Error(ErrorCode::bad_input,
                fmt::format("mac: '{}' is not 6 bytes separated by ':' or '-' (like A0:B1:C2:D3:E4:F5)", text), "mac");
  }
  if (separated) {
    char sep = text[2];
    for (std::size_t i = 2; i < text.size(); i += 3) {
      if (text[i] != sep) {
        throw Error(ErrorCode::bad_input,
                    fmt::format("mac: '{}' mixes separators or misplaces one at position {}", text, i + 1), "mac");
      }
    }
  }
  if (digits.size() != 12) {
    throw Error(ErrorCode::bad_input,
                fmt::format("mac: '{}' has {} hex digits; a MAC has exactly 12", text, digits.size()), "mac");
  }
  if (!is_hex(digits)) {
    throw Error(ErrorCode::bad_input, fmt::format("mac: '{}' contains a character that is not hex (0-9, A-F)", text),
                "mac");
  }
  auto bytes = from_hex(digits, "mac");
  MacAddress mac{};
  std::copy(bytes.begin(), bytes.end(), mac.begin());
  return mac;
}

std::string mac_colon(const MacAddress& mac) {
  return fmt::format("{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

std::string mac_hex(const MacAddress& mac) { return to_hex(mac, true); }

Record mac_fields(const MacAddress& mac) {
  Record fields = Record::object();
  fields["mac"] = mac_colon(mac);
  fields["mac_hex"] = mac_hex(mac);
  return fields;
}

std::string unusable_mac_reason(const MacAddress& mac) {
  auto all = [&](std::uint8_t value) {
    return std::all_of(mac.begin(), mac.end(), [&](auto b) { return b == value; });
  };
  if (all(0x00)) return "all zero";
  if (all(0xFF)) return "all ones (FF)";
  if (mac[0] & 0x01) return "a multicast address (bit 0 of the first byte set)";
  return {};
}

void require_usable_mac(const MacAddress& mac, std::string_view source) {
  auto reason = unusable_mac_reason(mac);
  if (reason.empty()) return;
  throw Error(ErrorCode::mac_invalid,
              fmt::format("mac: {} from {} is {}, not a device identity; nothing was registered. Read the board "
                          "again (check the cable), or give a unicast MAC",
                          mac_colon(mac), source, reason),
              "mac");
}

}  // namespace provision
