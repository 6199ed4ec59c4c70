// NVS on-flash layout shared by the writer, the reader and the XTS layer (ESP-IDF nvs_page.hpp / nvs_types.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "provision/nvs.hpp"

namespace provision::nvs::layout {

// Page states: bits are cleared one by one as a page ages, so every state is reachable by programming flash.
inline constexpr std::uint32_t kPageUninitialized = 0xFFFFFFFF;
inline constexpr std::uint32_t kPageActive = 0xFFFFFFFE;
inline constexpr std::uint32_t kPageFull = 0xFFFFFFFC;
inline constexpr std::uint32_t kPageFreeing = 0xFFFFFFF8;
inline constexpr std::uint32_t kPageCorrupt = 0xFFFFFFF0;
inline constexpr std::uint32_t kPageInvalid = 0x00000000;

inline constexpr std::uint8_t kVersion1Byte = 0xFF;
inline constexpr std::uint8_t kVersion2Byte = 0xFE;

// Entry states in the bitmap, two bits per entry.
inline constexpr unsigned kEntryEmpty = 0b11;
inline constexpr unsigned kEntryWritten = 0b10;
inline constexpr unsigned kEntryErased = 0b00;

inline constexpr std::size_t kHeaderCrcOffset = 28;
inline constexpr std::size_t kBitmapOffset = 32;
inline constexpr std::uint8_t kChunkAny = 0xFF;
inline constexpr std::uint8_t kNamespaceAny = 0xFF;

// Item type codes (the entry's byte 1).
enum class ItemType : std::uint8_t {
  u8 = 0x01, i8 = 0x11, u16 = 0x02, i16 = 0x12, u32 = 0x04, i32 = 0x14, u64 = 0x08, i64 = 0x18,
  string = 0x21, blob_v1 = 0x41, blob_data = 0x42, blob_index = 0x48, any = 0xFF,
};

inline std::uint16_t load_u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }
inline std::uint32_t load_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
inline void store_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
inline void store_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

inline std::size_t entry_offset(std::size_t page, std::size_t entry) {
  return page * kPageSize + kFirstEntryOffset + entry * kEntrySize;
}

inline unsigned entry_state(const std::uint8_t* page, std::size_t entry) {
  return (page[kBitmapOffset + entry / 4] >> (2 * (entry % 4))) & 0b11;
}

// CRC of an entry: bytes 0..3 and 8..31 (the CRC field itself excluded).
inline std::uint32_t entry_crc(const std::uint8_t* entry) {
  std::uint8_t buffer[28];
  for (int i = 0; i < 4; ++i) buffer[i] = entry[i];
  for (int i = 8; i < 32; ++i) buffer[i - 4] = entry[i];
  return crc32(std::span<const std::uint8_t>(buffer, sizeof buffer));
}

// CRC of a page header: bytes 4..27 (sequence number, version, reserved).
inline std::uint32_t header_crc(const std::uint8_t* page) { return crc32(std::span(page + 4, 24)); }

ItemType item_type_of(ValueType type);        // integers and string; blobs depend on the version
int integer_width_bytes(ItemType type);       // 0 for non-integer types
bool is_integer_item(ItemType type);
ValueType value_type_of(ItemType type);       // integers, string, blob_v1 -> blob

}  // namespace provision::nvs::layout
