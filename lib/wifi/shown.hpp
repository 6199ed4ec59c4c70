// Device text and SSIDs in messages: any byte may arrive, so control bytes and bytes that are not UTF-8 text are
// written as \xHH, and long text is cut.
#pragma once

#include <string>
#include <string_view>

namespace provision::wifi {

std::string shown(std::string_view text, std::size_t max_bytes = 80);

}  // namespace provision::wifi
