// nvs_partition_gen's CSV rows -> NVS content, and the value encodings it knows.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <optional>

#include "provision/error.hpp"
#include "provision/hex.hpp"
#include "provision/nvs_csv.hpp"

namespace provision::nvs {
namespace {

// 128-bit arithmetic so that every u64 and i64 value and its overflow are exact.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

struct IntegerEncoding {
  std::string_view name;
  ValueType type;
  Int128 min;
  Int128 max;
};

constexpr std::array<IntegerEncoding, 8> kIntegerEncodings{{
    {"u8", ValueType::u8, 0, 0xFF},
    {"i8", ValueType::i8, -128, 127},
    {"u16", ValueType::u16, 0, 0xFFFF},
    {"i16", ValueType::i16, -32768, 32767},
    {"u32", ValueType::u32, 0, 0xFFFFFFFFLL},
    {"i32", ValueType::i32, -2147483648LL, 2147483647LL},
    {"u64", ValueType::u64, 0, static_cast<Int128>(std::numeric_limits<std::uint64_t>::max())},
    {"i64", ValueType::i64, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()},
}};

constexpr std::string_view kEncodingList = "u8, i8, u16, i16, u32, i32, u64, i64, string, hex2bin, base64, binary";

bool is_python_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view strip(std::string_view text) {
  while (!text.empty() && is_python_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_python_space(text.back())) text.remove_suffix(1);
  return text;
}

// Python's int(): surrounding whitespace, an optional sign, decimal digits (single '_' between digits allowed).
std::optional<Int128> parse_decimal(std::string_view text) {
  text = strip(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.front() == '_' || text.back() == '_') return std::nullopt;
  Int128 value = 0;
  char previous = 0;
  for (char c : text) {
    if (c == '_') {
      if (previous == '_') return std::nullopt;
    } else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      if (value > (static_cast<Int128>(1) << 65)) return negative ? -value : value;  // out of every range
    } else {
      return std::nullopt;
    }
    previous = c;
  }
  return negative ? -value : value;
}

std::string int128_text(Int128 value) {
  if (value == 0) return "0";
  const bool negative = value < 0;
  UInt128 magnitude = negative ? static_cast<UInt128>(-value) : static_cast<UInt128>(value);
  std::string digits;
  while (magnitude > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  }
  return negative ? "-" + digits : digits;
}

Value decode_integer(const IntegerEncoding& encoding, std::string_view text, std::string_view key) {
  auto parsed = parse_decimal(text);
  if (!parsed) {
    throw Error(ErrorCode::bad_input,
                fmt::format("key '{}': '{}' is not a decimal integer for {}", key, text, encoding.name),
                std::string(key));
  }
  if (*parsed < encoding.min || *parsed > encoding.max) {
    throw Error(ErrorCode::nvs_limit,
                fmt::format("key '{}': {} is out of range for {} ({}..{}); use a wider type", key,
                            int128_text(*parsed), encoding.name, int128_text(encoding.min), int128_text(encoding.max)),
                std::string(key));
  }
  if (encoding.min < 0) return Value::integer(encoding.type, static_cast<std::int64_t>(*parsed));
  return Value::unsigned_integer(encoding.type, static_cast<std::uint64_t>(*parsed));
}

std::vector<std::uint8_t> decode_hex(std::string_view text, std::string_view key) {
  text = strip(text);
  if (text.size() % 2 != 0) {
    throw Error(ErrorCode::bad_input,
                fmt::format("key '{}': hex2bin value has {} digits, an odd number; write two hex digits per byte",
                            key, text.size()),
                std::string(key));
  }
  return from_hex(text, fmt::format("key '{}'", key));
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

struct CsvColumns {
  std::size_t key = 0, type = 1, encoding = 2, value = 3;
  std::size_t count = 4;
};

CsvColumns find_columns(const CsvRow& header) {
  CsvColumns columns;
  columns.count = header.fields.size();
  auto find = [&](std::string_view name) {
    auto it = std::find(header.fields.begin(), header.fields.end(), name);
    if (it == header.fields.end()) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("csv line {}: the header has no '{}' column; the first row must be "
                              "key,type,encoding,value",
                              header.line, name),
                  "csv");
    }
    return static_cast<std::size_t>(it - header.fields.begin());
  };
  columns.key = find("key");
  columns.type = find("type");
  columns.encoding = find("encoding");
  columns.value = find("value");
  return columns;
}

std::string field_or_empty(const CsvRow& row, std::size_t index) {
  return index < row.fields.size() ? row.fields[index] : std::string();
}

}  // namespace

std::vector<std::uint8_t> decode_base64_lenient(std::string_view text, std::string_view key) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  unsigned quad_position = 0, pads = 0, left = 0, data_characters = 0;
  for (char c : text) {
    if (c == '=') {
      // A pad completes the quad once two or more data characters are in it; anything after is ignored.
      if (quad_position >= 2 && quad_position + ++pads >= 4) return out;
      continue;
    }
    const int digit = base64_digit(c);
    if (digit < 0) continue;  // outside the alphabet: skipped, as binascii.a2b_base64 does
    ++data_characters;
    switch (quad_position) {
      case 0: left = static_cast<unsigned>(digit); quad_position = 1; break;
      case 1:
        out.push_back(static_cast<std::uint8_t>(left << 2 | static_cast<unsigned>(digit) >> 4));
        left = static_cast<unsigned>(digit) & 0x0F; quad_position = 2; break;
      case 2:
        out.push_back(static_cast<std::uint8_t>(left << 4 | static_cast<unsigned>(digit) >> 2));
        left = static_cast<unsigned>(digit) & 0x03; quad_position = 3; break;
      default:
        out.push_back(static_cast<std::uint8_t>(left << 6 | static_cast<unsigned>(digit)));
        quad_position = 0; break;
    }
  }
  if (quad_position != 0) {
    throw Error(ErrorCode::bad_input,
                fmt::format("key '{}': base64 value has {} data characters, {}; pad the last group with '='", key,
                            data_characters,
                            quad_position == 1 ? "one more than a multiple of 4" : "an incomplete last group"),
                std::string(key));
  }
  return out;
}

Value decode_value(std::string_view encoding, std::string_view text, std::string_view key) {
  for (const auto& integer : kIntegerEncodings) {
    if (integer.name == encoding) return decode_integer(integer, text, key);
  }
  if (encoding == "string") return Value::string(text);
  if (encoding == "binary") {
    return Value::blob(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  if (encoding == "hex2bin") return Value::blob(decode_hex(text, key));
  if (encoding == "base64") return Value::blob(decode_base64_lenient(text, key));
  throw Error(ErrorCode::bad_input,
              fmt::format("key '{}': unsupported encoding '{}'; use one of {} (lower case)", key, encoding,
                          kEncodingList),
              std::string(key));
}

Content content_from_csv(std::string_view text, const FileLoader& load_file) {
  const auto rows = parse_csv(text);
  if (rows.empty()) {
    throw Error(ErrorCode::bad_input, "csv: the file is empty; the first row must be key,type,encoding,value", "csv");
  }
  const CsvColumns columns = find_columns(rows.front());
  Content content;
  std::optional<std::string> current_namespace;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    if (row.fields.size() > columns.count) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("csv line {}: {} values but the header has {} columns; quote values that contain "
                              "commas",
                              row.line, row.fields.size(), columns.count),
                  "csv");
    }
    const std::string key = field_or_empty(row, columns.key);
    const std::string type = field_or_empty(row, columns.type);
    const std::string encoding = field_or_empty(row, columns.encoding);
    const std::string value = field_or_empty(row, columns.value);
    try {
      if (type == "namespace") {
        content.declare_namespace(key);
        current_namespace = key;
        continue;
      }
      if (type != "data" && type != "file") {
        throw Error(ErrorCode::bad_input,
                    fmt::format("key '{}': unknown type '{}'; use namespace, data or file", key, type), key);
      }
      if (!current_namespace) {
        throw Error(ErrorCode::bad_input,
                    fmt::format("key '{}' comes before any namespace row; start with a row 'NAME,namespace,,'", key),
                    key);
      }
      if (type == "data") {
        content.add(*current_namespace, key, decode_value(encoding, value, key));
      } else {
        std::vector<std::uint8_t> bytes;
        try {
          bytes = load_file(value);
        } catch (const Error& error) {
          throw Error(error.code(), fmt::format("key '{}': file row: {}", key, error.what()), key);
        }
        const std::string_view file_text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        content.add(*current_namespace, key, decode_value(encoding, file_text, key));
      }
    } catch (const Error& error) {
      throw Error(error.code(), fmt::format("csv line {}: {}", row.line, error.what()), error.field());
    }
  }
  return content;
}

}  // namespace provision::nvs
