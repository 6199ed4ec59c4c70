#include "fw/nvs_format.hpp"

#include <algorithm>
#include <cstring>

#include "fw/crc32.hpp"

namespace fw::nvs {

bool is_integer_type(std::uint8_t type) {
  switch (static_cast<ItemType>(type)) {
    case ItemType::u8: case ItemType::i8: case ItemType::u16: case ItemType::i16:
    case ItemType::u32: case ItemType::i32: case ItemType::u64: case ItemType::i64:
      return true;
    default:
      return false;
  }
}

std::size_t integer_width(std::uint8_t type) { return type & 0x0FU; }

bool has_data_entries(std::uint8_t type) {
  const auto t = static_cast<ItemType>(type);
  return t == ItemType::string || t == ItemType::blob_v1 || t == ItemType::blob_data;
}

std::uint32_t read_u32(const std::uint8_t* bytes) {
  return static_cast<std::uint32_t>(bytes[0]) | (static_cast<std::uint32_t>(bytes[1]) << 8) |
         (static_cast<std::uint32_t>(bytes[2]) << 16) | (static_cast<std::uint32_t>(bytes[3]) << 24);
}

std::uint16_t read_u16(const std::uint8_t* bytes) {
  return static_cast<std::uint16_t>(bytes[0] | (bytes[1] << 8));
}

void write_u32(std::uint8_t* bytes, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

void write_u16(std::uint8_t* bytes, std::uint16_t value) {
  bytes[0] = static_cast<std::uint8_t>(value);
  bytes[1] = static_cast<std::uint8_t>(value >> 8);
}

std::uint32_t header_crc(const std::uint8_t* header) { return nvs_crc32(header + 4, 24); }

std::uint32_t entry_crc(const std::uint8_t* entry) {
  std::uint8_t covered[28];
  std::memcpy(covered, entry, 4);
  std::memcpy(covered + 4, entry + 8, 24);
  return nvs_crc32(covered, sizeof covered);
}

EntryState entry_state(const std::uint8_t* page, std::size_t index) {
  const std::uint8_t byte = page[kBitmapOffset + index / 4];
  return static_cast<EntryState>((byte >> (2 * (index % 4))) & 0b11U);
}

std::uint8_t bitmap_byte_with(const std::uint8_t* page, std::size_t index, EntryState state) {
  const unsigned shift = 2 * (index % 4);
  std::uint8_t byte = page[kBitmapOffset + index / 4];
  byte = static_cast<std::uint8_t>((byte & ~(0b11U << shift)) | (static_cast<unsigned>(state) << shift));
  return byte;
}

const std::uint8_t* entry_at(const std::uint8_t* page, std::size_t index) {
  return page + kFirstEntryOffset + index * kEntrySize;
}

std::string entry_key(const std::uint8_t* entry) {
  const char* key = reinterpret_cast<const char*>(entry + 8);
  return std::string(key, strnlen(key, 16));
}

void encode_entry(const EntryHeader& header, std::uint8_t* out) {
  std::memset(out, 0xFF, kEntrySize);
  out[0] = header.ns;
  out[1] = header.type;
  out[2] = header.span;
  out[3] = header.chunk;
  std::memset(out + 8, 0, 16);
  std::memcpy(out + 8, header.key.data(), std::min<std::size_t>(header.key.size(), kMaxKeyLength));
  std::memcpy(out + 24, header.data, 8);
  write_u32(out + 4, entry_crc(out));
}

}  // namespace fw::nvs
