// Hex helpers shared by every step.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace provision {

std::string to_hex(std::span<const std::uint8_t> bytes, bool upper = false);
// Throws Error(bad_input, ..., field) on odd length or a non-hex character.
std::vector<std::uint8_t> from_hex(std::string_view text, std::string_view field);
bool is_hex(std::string_view text);

}  // namespace provision
