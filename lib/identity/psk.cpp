#include <openssl/rand.h>

#include <array>
#include <cctype>
#include <fmt/format.h>

#include "provision/hex.hpp"
#include "provision/identity.hpp"

namespace provision {

std::string generate_psk() {
  std::array<std::uint8_t, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw Error(ErrorCode::internal, "OpenSSL's random generator failed; no PSK generated");
  }
  return to_hex(bytes);
}

std::string normalize_psk(std::string_view text) {
  // The value is a secret: errors describe it, never echo it.
  if (text.size() != 64) {
    throw Error(ErrorCode::bad_input,
                fmt::format("psk: has {} characters; a PSK is exactly 64 hex digits (32 bytes)", text.size()), "psk");
  }
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (!std::isxdigit(c)) {
      throw Error(ErrorCode::bad_input, fmt::format("psk: character {} is not a hex digit (0-9, a-f)", i + 1), "psk");
    }
    out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

}  // namespace provision
