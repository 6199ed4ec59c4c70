// The AT line codec of the console (PROTOCOL.md §5.1): splits a command line into its name and arguments and
// formats data-line arguments. Pure: bytes in, values out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fw {

struct AtCommand {
  std::string name;               // "AT" for the bare alive check, else what follows "AT+" up to '=' ("INFO?")
  std::vector<std::string> args;  // decoded argument bytes; empty when the line has no '='
  bool has_equals = false;        // "AT+NAME=" was written (even with no usable argument)
};

enum class AtParseError { not_a_command, bad_argument };

struct AtParseResult {
  std::optional<AtCommand> command;
  AtParseError error = AtParseError::bad_argument;  // meaningful when command is empty
};

// Parses one line (without its line ending). Commands listed in `raw_value_commands` (WIFI_SSID, WIFI_PASSWORD)
// take the legacy unquoted form: when the byte after '=' is not '"', the rest of the line is the one argument.
AtParseResult parse_at_line(std::string_view line, const std::vector<std::string_view>& raw_value_commands);

// Parses an argument list (the text after '='): quoted strings and bare tokens separated by ','.
std::optional<std::vector<std::string>> parse_at_arguments(std::string_view text);

// Quotes any bytes so parse_at_arguments gives them back: escapes '\\', '"', bytes below 0x20 and 0x7F.
std::string quote_at_string(std::string_view value);

// A bare token: a decimal number or a word of [A-Za-z0-9_.:-].
bool is_bare_token(std::string_view token);

// Parses a non-negative decimal bare token that fits an int.
std::optional<int> parse_at_decimal(std::string_view token);

}  // namespace fw
