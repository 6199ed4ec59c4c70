// The pure identity steps: mac, uuid, psk. No I/O; each returns the record fields it adds.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "provision/record.hpp"

namespace provision {

using MacAddress = std::array<std::uint8_t, 6>;

// Accepts "A0:B1:C2:D3:E4:F5", "a0-b1-c2-d3-e4-f5", "A0B1C2D3E4F5". Throws Error(bad_input, field "mac").
MacAddress parse_mac(std::string_view text);
std::string mac_colon(const MacAddress& mac);  // "A0:B1:C2:D3:E4:F5"
std::string mac_hex(const MacAddress& mac);    // "A0B1C2D3E4F5"
Record mac_fields(const MacAddress& mac);      // {"mac","mac_hex"}
// Why `mac` cannot identify a device: "all zero", "all ones (FF)", "a multicast address (bit 0 of the first
// byte set)"; empty when it is a unicast address. Such values come from blank eFuses or a mangled read.
std::string unusable_mac_reason(const MacAddress& mac);
// Throws Error(mac_invalid, field "mac") naming the MAC, where it came from and the reason, when it is unusable.
void require_usable_mac(const MacAddress& mac, std::string_view source);

enum class UuidScheme {
  seed,     // the legacy tool's SHA-256 layout (keeps existing fleets' ids), see uuid.cpp
  rfc9562,  // UUID version 5 (name-based, SHA-1) in espprov's documented namespace
};
UuidScheme parse_uuid_scheme(std::string_view text);
std::string_view to_string(UuidScheme scheme);

std::string derive_uuid(const MacAddress& mac, UuidScheme scheme);
// Validates 8-4-4-4-12 hex and returns it in lower case. Throws Error(bad_input, field "uuid").
std::string normalize_uuid(std::string_view text);

// 32 bytes from OpenSSL's CSPRNG as 64 lower-case hex characters.
std::string generate_psk();
// Validates exactly 64 hex characters, returns lower case. Throws Error(bad_input, field "psk").
std::string normalize_psk(std::string_view text);

}  // namespace provision
