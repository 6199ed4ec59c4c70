// The firmware console's line codec (firmware/PROTOCOL.md section 5): building AT commands with quoted arguments and
// classifying/parsing the lines the device prints. Pure: bytes in, values out; no I/O, no clock.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace provision::wifi::at {

// One argument of a command: a quoted string (any bytes) or a bare token (number or [A-Za-z0-9_.:-] word).
struct Bare {
  std::string token;
};
using Argument = std::variant<std::string, Bare>;

// `"..."` with `\\`, `\"` and `\xHH` for every byte below 0x20 and 0x7F (PROTOCOL.md 5.1). Other bytes, UTF-8
// included, are written literally.
std::string quote(std::string_view bytes);

// `AT+NAME` or `AT+NAME=arg1,arg2`, without the line ending. Throws Error(internal) for a bare token that is not
// a valid token (a bug in the caller, never user input).
std::string command(std::string_view name, const std::vector<Argument>& arguments = {});

// The terminator espprov sends.
inline constexpr std::string_view kLineEnd = "\r\n";

enum class LineKind {
  ok,     // "OK"
  error,  // "ERROR:<code>"
  data,   // "+NAME" or "+NAME:args" (solicited or unsolicited)
  log,    // anything else: ignored by the station
};

struct Line {
  LineKind kind = LineKind::log;
  std::string name;       // data: NAME; error: the code
  std::string arguments;  // data: the raw text after ':' (empty when none)
};

// Classifies one line (without its "\r\n"; a trailing '\r' is removed here too).
Line classify(std::string_view line);

// Unsolicited lines (5.4) may arrive at any time; they are never a command's data.
bool is_unsolicited(const Line& line);

// Splits a data line's arguments. Quoted strings are unescaped to their exact bytes; bare tokens are returned as
// written. Throws Error(protocol) naming the problem for malformed quoting, a bad escape or a bad token.
std::vector<std::string> parse_arguments(std::string_view text);

}  // namespace provision::wifi::at
