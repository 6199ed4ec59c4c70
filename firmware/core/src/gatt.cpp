#include "fw/gatt.hpp"

#include <algorithm>

namespace fw::gatt {

std::string Uuid128::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

std::array<std::uint8_t, 16> Uuid128::little_endian() const {
  std::array<std::uint8_t, 16> out = bytes;
  std::reverse(out.begin(), out.end());
  return out;
}

AttError check_link_security(const LinkSecurity& link, const SecurityPolicy& policy) {
  if (!link.encrypted) return link.bonded ? AttError::insufficient_encryption : AttError::insufficient_authentication;
  if (link.key_size_bytes < kFullKeySizeBytes) return AttError::encryption_key_size_too_short;
  // Encrypted but with LE legacy pairing (its Just Works key falls to a passive sniffer) or without a bond: the
  // level we require was not reached, so the peer must pair again properly.
  if (!link.secure_connections || !link.bonded) return AttError::insufficient_authentication;
  if (policy.require_authenticated && !link.authenticated) return AttError::insufficient_authentication;
  return AttError::ok;
}

}  // namespace fw::gatt
