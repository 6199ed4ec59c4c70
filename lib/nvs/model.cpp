// The NVS content model and its limits.
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <limits>

#include "provision/error.hpp"
#include "provision/nvs.hpp"

namespace provision::nvs {
namespace {

struct IntegerRange {
  ValueType type;
  int width_bytes;
  bool is_signed;
};

// One row per integer type: its width and signedness (NVS item types 0x01..0x18).
constexpr IntegerRange kIntegerRanges[] = {
    {ValueType::u8, 1, false},  {ValueType::i8, 1, true},  {ValueType::u16, 2, false}, {ValueType::i16, 2, true},
    {ValueType::u32, 4, false}, {ValueType::i32, 4, true}, {ValueType::u64, 8, false}, {ValueType::i64, 8, true},
};

const IntegerRange& integer_range(ValueType type) {
  for (const auto& range : kIntegerRanges) {
    if (range.type == type) return range;
  }
  throw Error(ErrorCode::internal, fmt::format("{} is not an integer type", to_string(type)));
}

std::string printable_name(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (c >= 0x20 && c != 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

void validate_name(std::string_view name, std::string_view what, std::string_view field) {
  if (name.empty()) {
    throw Error(ErrorCode::nvs_limit, fmt::format("{}: an empty {} name; NVS names have 1 to {} characters", field,
                                                  what, kMaxNameLength),
                std::string(field));
  }
  if (name.size() > kMaxNameLength) {
    throw Error(ErrorCode::nvs_limit,
                fmt::format("{} '{}' has {} characters; NVS allows at most {} (the entry holds 16 bytes with the "
                            "NUL); choose a shorter name",
                            what, printable_name(name), name.size(), kMaxNameLength),
                std::string(field));
  }
  if (name.find('\0') != std::string_view::npos) {
    throw Error(ErrorCode::nvs_limit, fmt::format("{} '{}' contains a NUL byte", what, printable_name(name)),
                std::string(field));
  }
}

void validate_integer(const Element& element) {
  const auto& range = integer_range(element.value.type);
  if (range.width_bytes == 8) return;
  const int bits = range.width_bytes * 8;
  bool fits;
  std::string limits;
  if (range.is_signed) {
    const auto value = static_cast<std::int64_t>(element.value.bits);
    const std::int64_t max = (std::int64_t{1} << (bits - 1)) - 1;
    fits = value >= -max - 1 && value <= max;
    limits = fmt::format("{}..{}", -max - 1, max);
  } else {
    const std::uint64_t max = (std::uint64_t{1} << bits) - 1;
    fits = element.value.bits <= max;
    limits = fmt::format("0..{}", max);
  }
  if (!fits) {
    throw Error(ErrorCode::nvs_limit,
                fmt::format("key '{}' in namespace '{}': {} does not fit a {} ({}); use a wider type",
                            element.key, element.namespace_name,
                            range.is_signed ? fmt::to_string(static_cast<std::int64_t>(element.value.bits))
                                            : fmt::to_string(element.value.bits),
                            to_string(element.value.type), limits),
                element.key);
  }
}

void validate_size(const Element& element, FormatVersion version) {
  const auto& value = element.value;
  const bool v1 = version == FormatVersion::v1;
  if (value.type == ValueType::string) {
    const std::size_t limit = v1 ? kMaxStringBytesV1 : kMaxStringBytesV2;
    if (value.bytes.size() + 1 > limit) {
      throw Error(ErrorCode::nvs_limit,
                  fmt::format("key '{}' in namespace '{}': the string has {} bytes with its NUL; format version {} "
                              "allows at most {} (shorten it{})",
                              element.key, element.namespace_name, value.bytes.size() + 1, v1 ? 1 : 2, limit,
                              v1 ? ", or use --version 2" : ""),
                  element.key);
    }
  } else if (value.type == ValueType::blob) {
    const std::size_t limit = v1 ? kMaxBlobBytesV1 : kMaxBlobBytesV2;
    if (value.bytes.size() > limit) {
      throw Error(ErrorCode::nvs_limit,
                  fmt::format("key '{}' in namespace '{}': the blob has {} bytes; format version {} allows at most {}"
                              "{}",
                              element.key, element.namespace_name, value.bytes.size(), v1 ? 1 : 2, limit,
                              v1 ? " (use --version 2 for multi-page blobs)" : ""),
                  element.key);
    }
  } else {
    validate_integer(element);
  }
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  // zlib's crc32() inverts the register on entry and exit; starting from 0xFFFFFFFF therefore runs the reflected
  // CRC with a register of 0 and a final inversion, which is what esp_rom_crc32_le(0xFFFFFFFF, ...) computes.
  // zlib answers 0 for a null buffer; the CRC of no bytes is the start value.
  if (bytes.empty()) return 0xFFFFFFFFu;
  return static_cast<std::uint32_t>(::crc32(0xFFFFFFFFUL, bytes.data(), static_cast<uInt>(bytes.size())));
}

std::string_view to_string(ValueType type) {
  switch (type) {
    case ValueType::u8: return "u8";
    case ValueType::i8: return "i8";
    case ValueType::u16: return "u16";
    case ValueType::i16: return "i16";
    case ValueType::u32: return "u32";
    case ValueType::i32: return "i32";
    case ValueType::u64: return "u64";
    case ValueType::i64: return "i64";
    case ValueType::string: return "string";
    case ValueType::blob: return "blob";
  }
  return "unknown";
}

bool is_integer(ValueType type) { return type != ValueType::string && type != ValueType::blob; }

Value Value::integer(ValueType type, std::int64_t value) {
  Value out;
  out.type = type;
  out.bits = static_cast<std::uint64_t>(value);
  return out;
}

Value Value::unsigned_integer(ValueType type, std::uint64_t value) {
  Value out;
  out.type = type;
  out.bits = value;
  return out;
}

Value Value::string(std::string_view text) {
  Value out;
  out.type = ValueType::string;
  out.bytes.assign(text.begin(), text.end());
  return out;
}

Value Value::blob(std::span<const std::uint8_t> data) {
  Value out;
  out.type = ValueType::blob;
  out.bytes.assign(data.begin(), data.end());
  return out;
}

std::int64_t Value::as_signed() const {
  const int width = integer_range(type).width_bytes * 8;
  if (width == 64) return static_cast<std::int64_t>(bits);
  const std::uint64_t mask = (std::uint64_t{1} << width) - 1;
  const std::uint64_t sign = std::uint64_t{1} << (width - 1);
  const std::uint64_t low = bits & mask;
  return static_cast<std::int64_t>((low ^ sign) - sign);
}

std::uint64_t Value::as_unsigned() const {
  const int width = integer_range(type).width_bytes * 8;
  return width == 64 ? bits : bits & ((std::uint64_t{1} << width) - 1);
}

void Content::declare_namespace(std::string_view name) {
  for (const auto& element : elements_) {
    if (element.kind == Element::Kind::namespace_definition && element.namespace_name == name) return;
  }
  Element element;
  element.kind = Element::Kind::namespace_definition;
  element.namespace_name = std::string(name);
  elements_.push_back(std::move(element));
}

void Content::add(std::string_view namespace_name, std::string_view key, Value value) {
  declare_namespace(namespace_name);
  if (find(namespace_name, key) != nullptr) {
    throw Error(ErrorCode::nvs_limit,
                fmt::format("key '{}' appears twice in namespace '{}'; a device would read only one of them, so "
                            "give each key once",
                            key, namespace_name),
                std::string(key));
  }
  Element element;
  element.kind = Element::Kind::item;
  element.namespace_name = std::string(namespace_name);
  element.key = std::string(key);
  element.value = std::move(value);
  elements_.push_back(std::move(element));
}

std::vector<std::string> Content::namespaces() const {
  std::vector<std::string> names;
  for (const auto& element : elements_) {
    if (element.kind == Element::Kind::namespace_definition) names.push_back(element.namespace_name);
  }
  return names;
}

const Value* Content::find(std::string_view namespace_name, std::string_view key) const {
  for (const auto& element : elements_) {
    if (element.kind == Element::Kind::item && element.namespace_name == namespace_name && element.key == key) {
      return &element.value;
    }
  }
  return nullptr;
}

void validate(const Content& content, FormatVersion version) {
  std::size_t namespaces = 0;
  for (const auto& element : content.elements()) {
    if (element.kind == Element::Kind::namespace_definition) {
      validate_name(element.namespace_name, "namespace", "namespace");
      if (++namespaces > kMaxNamespaces) {
        throw Error(ErrorCode::nvs_limit,
                    fmt::format("namespace '{}' is number {}; NVS allows at most {} namespaces per partition",
                                element.namespace_name, namespaces, kMaxNamespaces),
                    "namespace");
      }
      continue;
    }
    validate_name(element.key, "key", element.key.empty() ? "key" : element.key);
    validate_size(element, version);
  }
}

}  // namespace provision::nvs
