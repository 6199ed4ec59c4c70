// A transport-independent model of the GATT server the firmware offers (PROTOCOL.md §7): 128-bit UUIDs, the ATT
// error codes a read or write can end with, the security a link has reached, and the rule that decides whether a
// protected characteristic may be used on it. A BLE stack (NimBLE on the chip, the simulated link in the host
// tests) maps its own handles and callbacks to this model; nothing here knows a stack. C++17, no ESP-IDF headers.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace fw::gatt {

// Bytes in the order of the textual form: "12345678-9abc-..." is {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, ...}.
// ATT itself carries UUIDs little-endian (NimBLE's BLE_UUID128_INIT takes them that way): see little_endian().
struct Uuid128 {
  std::array<std::uint8_t, 16> bytes{};

  std::string to_string() const;  // lower case, 8-4-4-4-12
  std::array<std::uint8_t, 16> little_endian() const;
  bool operator==(const Uuid128& other) const { return bytes == other.bytes; }
  bool operator!=(const Uuid128& other) const { return bytes != other.bytes; }
};

// The ATT error codes (Bluetooth Core 5.3, Vol 3 Part F, §3.4.1.1) the server uses, and its application errors
// (0x80..0x9F are the application's to define, same section).
enum class AttError : std::uint8_t {
  ok = 0x00,
  read_not_permitted = 0x02,
  write_not_permitted = 0x03,
  insufficient_authentication = 0x05,
  encryption_key_size_too_short = 0x0C,
  invalid_attribute_value_length = 0x0D,
  unlikely_error = 0x0E,
  insufficient_encryption = 0x0F,
  // Application errors (PROTOCOL.md §7.4).
  value_rejected = 0x80,    // outside the limits of §5.2 (an empty SSID, a 7-character password, ...)
  no_ssid = 0x81,           // SAVE before an SSID was written
  unknown_command = 0x82,   // a command byte the firmware does not know
  list_full = 0x83,         // SAVE of a new network while 8 are saved
  flash_failed = 0x84,      // the NVS write failed
};

// What the link has reached, as the BLE stack reports it after pairing or encryption.
struct LinkSecurity {
  bool encrypted = false;
  bool secure_connections = false;  // paired with LE Secure Connections (ECDH P-256), not LE legacy pairing
  bool bonded = false;              // long-term keys were exchanged and stored for this peer
  bool authenticated = false;       // MITM-protected association (numeric comparison, passkey)
  std::uint8_t key_size_bytes = 0;
};

struct SecurityPolicy {
  // A board with a display or keypad can insist on MITM protection; the bundled one has neither (Just Works).
  bool require_authenticated = false;
};

// ok, or the error a protected attribute answers on this link. Which error follows the Core spec's rule (Vol 3
// Part C, §10.3.1): a peer without keys gets insufficient authentication (phones start pairing on it), a bonded
// peer on a link not yet encrypted gets insufficient encryption (phones start encryption with the stored key).
AttError check_link_security(const LinkSecurity& link, const SecurityPolicy& policy);

constexpr std::uint8_t kFullKeySizeBytes = 16;
constexpr std::uint16_t kDefaultAttMtu = 23;      // before an MTU exchange (Core Vol 3 Part F §3.2.8)
constexpr std::size_t kNotificationHeaderBytes = 3;  // opcode + attribute handle
constexpr std::size_t kMaxAttributeBytes = 512;   // the longest attribute value ATT allows (§3.2.9)

}  // namespace fw::gatt
