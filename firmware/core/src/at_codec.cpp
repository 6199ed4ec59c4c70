#include "fw/at_codec.hpp"

#include <algorithm>

namespace fw {
namespace {

bool is_bare_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == ':' || c == '-';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool must_be_escaped(unsigned char byte) { return byte < 0x20 || byte == 0x7F; }

// Decodes a quoted string starting at text[pos] == '"'; leaves pos after the closing quote.
std::optional<std::string> parse_quoted(std::string_view text, std::size_t& pos) {
  std::string value;
  ++pos;  // opening quote
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '"') {
      ++pos;
      return value;
    }
    if (must_be_escaped(static_cast<unsigned char>(c))) return std::nullopt;
    if (c != '\\') {
      value.push_back(c);
      ++pos;
      continue;
    }
    if (pos + 1 >= text.size()) return std::nullopt;
    const char escaped = text[pos + 1];
    if (escaped == '\\' || escaped == '"') {
      value.push_back(escaped);
      pos += 2;
    } else if (escaped == 'x' && pos + 3 < text.size() && hex_value(text[pos + 2]) >= 0 &&
               hex_value(text[pos + 3]) >= 0) {
      value.push_back(static_cast<char>(hex_value(text[pos + 2]) * 16 + hex_value(text[pos + 3])));
      pos += 4;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;  // no closing quote
}

}  // namespace

bool is_bare_token(std::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), is_bare_char);
}

std::optional<int> parse_at_decimal(std::string_view token) {
  if (token.empty() || token.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<std::vector<std::string>> parse_at_arguments(std::string_view text) {
  std::vector<std::string> args;
  std::size_t pos = 0;
  while (true) {
    if (pos < text.size() && text[pos] == '"') {
      auto value = parse_quoted(text, pos);
      if (!value) return std::nullopt;
      args.push_back(std::move(*value));
    } else {
      const std::size_t end = std::min(text.find(',', pos), text.size());
      const std::string_view token = text.substr(pos, end - pos);
      if (!is_bare_token(token)) return std::nullopt;
      args.emplace_back(token);
      pos = end;
    }
    if (pos == text.size()) return args;
    if (text[pos] != ',') return std::nullopt;  // garbage after a closing quote
    ++pos;
  }
}

AtParseResult parse_at_line(std::string_view line, const std::vector<std::string_view>& raw_value_commands) {
  AtParseResult result;
  if (line == "AT") {
    result.command = AtCommand{"AT", {}, false};
    return result;
  }
  if (line.substr(0, 3) != "AT+") {
    result.error = AtParseError::not_a_command;
    return result;
  }
  const std::string_view rest = line.substr(3);
  const std::size_t equals = rest.find('=');
  AtCommand command;
  command.name = std::string(rest.substr(0, equals));
  if (equals == std::string_view::npos) {
    result.command = std::move(command);
    return result;
  }
  command.has_equals = true;
  const std::string_view text = rest.substr(equals + 1);
  const bool raw = std::find(raw_value_commands.begin(), raw_value_commands.end(), command.name) !=
                   raw_value_commands.end();
  if (raw && (text.empty() || text[0] != '"')) {
    command.args.emplace_back(text);  // legacy form: the rest of the line, byte for byte
  } else {
    auto args = parse_at_arguments(text);
    if (!args) return result;  // bad_argument
    command.args = std::move(*args);
  }
  result.command = std::move(command);
  return result;
}

std::string quote_at_string(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (must_be_escaped(byte)) {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace fw
