#include "layout.hpp"

#include "provision/error.hpp"

namespace provision::nvs::layout {
namespace {

struct TypeRow {
  ValueType value_type;
  ItemType item_type;
  int width_bytes;  // integers only
};

// One row per NVS item type (ESP-IDF nvs_types.hpp, ItemType): the low nibble is the width, 0x10 marks signed.
constexpr TypeRow kTypes[] = {
    {ValueType::u8, ItemType::u8, 1},       {ValueType::i8, ItemType::i8, 1},   {ValueType::u16, ItemType::u16, 2},
    {ValueType::i16, ItemType::i16, 2},     {ValueType::u32, ItemType::u32, 4}, {ValueType::i32, ItemType::i32, 4},
    {ValueType::u64, ItemType::u64, 8},     {ValueType::i64, ItemType::i64, 8}, {ValueType::string, ItemType::string, 0},
    {ValueType::blob, ItemType::blob_v1, 0},
};

}  // namespace

ItemType item_type_of(ValueType type) {
  for (const auto& row : kTypes) {
    if (row.value_type == type) return row.item_type;
  }
  throw Error(ErrorCode::internal, "unknown value type");
}

int integer_width_bytes(ItemType type) {
  for (const auto& row : kTypes) {
    if (row.item_type == type) return row.width_bytes;
  }
  return 0;
}

bool is_integer_item(ItemType type) { return integer_width_bytes(type) > 0; }

ValueType value_type_of(ItemType type) {
  for (const auto& row : kTypes) {
    if (row.item_type == type) return row.value_type;
  }
  return ValueType::blob;  // blob_data / blob_index assemble into a blob
}

}  // namespace provision::nvs::layout

namespace provision::nvs {

std::size_t parse_size(std::string_view text, std::string_view field) {
  std::string_view digits = text;
  int base = 10;
  std::size_t multiplier = 1;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (!digits.empty() && (digits.back() == 'K' || digits.back() == 'k')) {
    multiplier = 1024;
    digits.remove_suffix(1);
  } else if (!digits.empty() && (digits.back() == 'M' || digits.back() == 'm')) {
    multiplier = 1024 * 1024;
    digits.remove_suffix(1);
  }
  std::size_t value = 0;
  bool ok = !digits.empty();
  for (char c : digits) {
    int digit = c >= '0' && c <= '9' ? c - '0' : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (digit < 0 || value > (std::size_t{1} << 40)) {
      ok = false;
      break;
    }
    value = value * static_cast<std::size_t>(base) + static_cast<std::size_t>(digit);
  }
  if (!ok) {
    throw Error(ErrorCode::bad_input,
                std::string(field) + ": '" + std::string(text) +
                    "' is not a size; write hex (0x6000), decimal bytes (24576) or KiB/MiB (24K, 1M)",
                std::string(field));
  }
  return value * multiplier;
}

}  // namespace provision::nvs
