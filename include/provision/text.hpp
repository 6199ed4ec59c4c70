// Text from outside (flags, files, ports, device answers) is bytes, not necessarily UTF-8; JSON output must be.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace provision {

// Length of the valid UTF-8 sequence at text[at] (1..4), or 0 when the byte there starts none (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);
bool is_valid_utf8(std::string_view text);
// `text` with each byte that is not part of valid UTF-8 written as the four characters \xHH, so the bytes stay
// visible (and distinguishable) in a message or a JSON string; valid text comes back unchanged.
std::string escape_invalid_utf8(std::string_view text);

}  // namespace provision
