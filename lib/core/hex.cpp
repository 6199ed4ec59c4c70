#include "provision/hex.hpp"

#include <fmt/format.h>

#include "provision/error.hpp"

namespace provision {
namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes, bool upper) {
  static constexpr char lower_digits[] = "0123456789abcdef";
  static constexpr char upper_digits[] = "0123456789ABCDEF";
  const char* digits = upper ? upper_digits : lower_digits;
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
  return out;
}

bool is_hex(std::string_view text) {
  for (char c : text) {
    if (hex_value(c) < 0) return false;
  }
  return true;
}

std::vector<std::uint8_t> from_hex(std::string_view text, std::string_view field) {
  if (text.size() % 2 != 0) {
    throw Error(ErrorCode::bad_input,
                fmt::format("{}: hex has an odd number of digits ({}); write two digits per byte", field, text.size()),
                std::string(field));
  }
  std::vector<std::uint8_t> out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(text[2 * i]);
    int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      std::size_t at = hi < 0 ? 2 * i : 2 * i + 1;
      throw Error(ErrorCode::bad_input,
                  fmt::format("{}: '{}' at position {} is not a hex digit (0-9, a-f)", field, text[at], at + 1),
                  std::string(field));
    }
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

}  // namespace provision
