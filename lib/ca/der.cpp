#include "der.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace provision::ca::der {

bool equal(Bytes a, Bytes b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

std::optional<std::uint8_t> Reader::peek_tag() const {
  if (rest_.empty()) return std::nullopt;
  return rest_[0];
}

std::optional<Element> Reader::next() {
  auto fail = [this]() -> std::optional<Element> {
    rest_ = {};
    return std::nullopt;
  };
  if (rest_.size() < 2) return fail();
  const std::uint8_t tag = rest_[0];
  if ((tag & 0x1F) == 0x1F) return fail();  // high tag number form: nothing in X.509 uses it
  std::size_t length = rest_[1];
  std::size_t header = 2;
  if (length & 0x80) {
    const std::size_t octets = length & 0x7F;
    if (octets == 0 || octets > 4) return fail();  // indefinite (BER only), or longer than anything here
    if (rest_.size() < 2 + octets) return fail();
    length = 0;
    for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | rest_[2 + i];
    // Minimal: the long form only from 128 on, and no leading zero octet.
    if (length < 0x80 || rest_[2] == 0) return fail();
    header += octets;
  }
  if (rest_.size() - header < length) return fail();
  Element element{tag, rest_.subspan(header, length), rest_.first(header + length)};
  rest_ = rest_.subspan(header + length);
  return element;
}

std::optional<Element> Reader::next(std::uint8_t tag) {
  auto element = next();
  if (!element || element->tag != tag) {
    rest_ = {};
    return std::nullopt;
  }
  return element;
}

std::optional<Element> Reader::next_if(std::uint8_t tag, bool& malformed) {
  if (peek_tag() != tag) return std::nullopt;
  auto element = next();
  if (!element) malformed = true;
  return element;
}

namespace {

constexpr std::array<std::int8_t, 256> kBase64 = [] {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}();

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::optional<std::vector<std::uint8_t>> pem_decode(std::string_view text, std::string_view label) {
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  const std::string end = "-----END " + std::string(label) + "-----";
  const auto start = text.find(begin);
  if (start == std::string_view::npos) return std::nullopt;
  const auto body_start = start + begin.size();
  const auto stop = text.find(end, body_start);
  if (stop == std::string_view::npos) return std::nullopt;
  const std::string_view body = text.substr(body_start, stop - body_start);

  std::vector<std::uint8_t> out;
  out.reserve(body.size() * 3 / 4);
  std::uint32_t group = 0;
  int filled = 0;   // sextets in `group`
  int padding = 0;  // '=' seen
  for (char c : body) {
    if (is_space(c)) continue;
    if (c == '=') {
      if (filled < 2 || ++padding > 2) return std::nullopt;
      group <<= 6;
      if (++filled == 4) {
        out.push_back(static_cast<std::uint8_t>(group >> 16));
        if (padding == 1) out.push_back(static_cast<std::uint8_t>(group >> 8));
        filled = 0;
      }
      continue;
    }
    const int value = kBase64[static_cast<unsigned char>(c)];
    if (value < 0 || padding > 0) return std::nullopt;  // not base64, or data after the padding
    group = (group << 6) | static_cast<std::uint32_t>(value);
    if (++filled == 4) {
      out.push_back(static_cast<std::uint8_t>(group >> 16));
      out.push_back(static_cast<std::uint8_t>(group >> 8));
      out.push_back(static_cast<std::uint8_t>(group));
      filled = 0;
      group = 0;
    }
  }
  if (filled != 0 || out.empty()) return std::nullopt;
  return out;
}

}  // namespace provision::ca::der
