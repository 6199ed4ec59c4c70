#include <fmt/format.h>

#include "provision/error.hpp"
#include "provision/wifi_at.hpp"

namespace provision::wifi::at {
namespace {

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == ':' || c == '-';
}

bool is_valid_token(std::string_view token) {
  if (token.empty()) return false;
  for (char c : token) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Printable form of a device line fragment for error messages (device text may hold any byte).
std::string shown(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 80)) {
    if (c < 0x20 || c >= 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > 80) out += "...";
  return out;
}

Error malformed(std::string_view text, std::string_view why) {
  return Error(ErrorCode::protocol,
               fmt::format("the firmware sent a malformed data line ({}): '{}'", why, shown(text)));
}

// Reads one quoted string starting at text[pos] == '"'; leaves pos after the closing quote.
std::string parse_quoted(std::string_view text, size_t& pos) {
  std::string value;
  ++pos;
  while (pos < text.size()) {
    char c = text[pos++];
    if (c == '"') return value;
    if (c != '\\') {
      value += c;
      continue;
    }
    if (pos >= text.size()) break;
    char e = text[pos++];
    if (e == '\\' || e == '"') {
      value += e;
    } else if (e == 'x') {
      if (pos + 2 > text.size()) throw malformed(text, "\\x needs two hex digits");
      int hi = hex_value(text[pos]), lo = hex_value(text[pos + 1]);
      if (hi < 0 || lo < 0) throw malformed(text, "\\x needs two hex digits");
      value += static_cast<char>(hi * 16 + lo);
      pos += 2;
    } else {
      throw malformed(text, "unknown escape");
    }
  }
  throw malformed(text, "unterminated quoted string");
}

}  // namespace

std::string quote(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 2);
  out += '"';
  for (unsigned char c : bytes) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

std::string command(std::string_view name, const std::vector<Argument>& arguments) {
  std::string line = "AT+";
  line += name;
  for (size_t i = 0; i < arguments.size(); ++i) {
    line += i == 0 ? '=' : ',';
    if (const auto* text = std::get_if<std::string>(&arguments[i])) {
      line += quote(*text);
    } else {
      const auto& token = std::get<Bare>(arguments[i]).token;
      if (!is_valid_token(token)) {
        throw Error(ErrorCode::internal, fmt::format("AT command {}: '{}' is not a bare token", name, token));
      }
      line += token;
    }
  }
  return line;
}

Line classify(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Line result;
  if (line == "OK") {
    result.kind = LineKind::ok;
  } else if (line.starts_with("ERROR:")) {
    result.kind = LineKind::error;
    result.name = std::string(line.substr(6));
  } else if (line.size() > 1 && line.front() == '+') {
    result.kind = LineKind::data;
    auto colon = line.find(':');
    result.name = std::string(line.substr(1, colon == std::string_view::npos ? line.npos : colon - 1));
    if (colon != std::string_view::npos) result.arguments = std::string(line.substr(colon + 1));
  }
  return result;
}

bool is_unsolicited(const Line& line) {
  return line.kind == LineKind::data && (line.name == "READY" || line.name == "WIFI" || line.name == "MQTT");
}

std::vector<std::string> parse_arguments(std::string_view text) {
  std::vector<std::string> values;
  if (text.empty()) return values;
  size_t pos = 0;
  while (true) {
    if (pos < text.size() && text[pos] == '"') {
      values.push_back(parse_quoted(text, pos));
    } else {
      auto end = text.find(',', pos);
      if (end == std::string_view::npos) end = text.size();
      auto token = text.substr(pos, end - pos);
      // An empty token (",,") is accepted as an empty value; anything else must be a valid bare token.
      if (!token.empty() && !is_valid_token(token)) throw malformed(text, "bad bare token");
      values.emplace_back(token);
      pos = end;
    }
    if (pos == text.size()) return values;
    if (text[pos] != ',') throw malformed(text, "expected ',' after a quoted string");
    ++pos;
  }
}

}  // namespace provision::wifi::at
