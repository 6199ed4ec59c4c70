#include "wifi/shown.hpp"

#include <fmt/format.h>

namespace provision::wifi {

std::string shown(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (unsigned char c : text.substr(0, max_bytes)) {
    // Bytes >= 0x80 are kept: SSIDs are often UTF-8, and a terminal shows them as the user typed them.
    if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

}  // namespace provision::wifi
