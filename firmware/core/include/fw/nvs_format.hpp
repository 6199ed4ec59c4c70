// ESP-IDF NVS on-flash format, version 2 (as written by nvs_partition_gen and by the nvs_flash component):
// 4096-byte pages of a 32-byte header, a 32-byte entry-state bitmap and 126 entries of 32 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fw::nvs {

constexpr std::size_t kPageSize = 4096;
constexpr std::size_t kEntrySize = 32;
constexpr std::size_t kEntriesPerPage = 126;
constexpr std::size_t kBitmapOffset = 32;
constexpr std::size_t kFirstEntryOffset = 64;
constexpr std::size_t kMaxKeyLength = 15;           // key[16] holds a NUL
constexpr std::size_t kMaxStringBytes = 4000;       // with the NUL: a whole page of data entries
constexpr std::size_t kMaxBlobChunkBytes = (kEntriesPerPage - 1) * kEntrySize;
constexpr std::uint8_t kFormatVersion2 = 0xFE;
constexpr std::uint8_t kNamespaceIndexNamespace = 0;  // namespace definitions live in namespace 0
constexpr std::uint8_t kNoChunk = 0xFF;
// nvs_flash alternates a blob's chunk start between these two so a new version never collides with the old.
constexpr std::uint8_t kBlobVersion0Start = 0x00;
constexpr std::uint8_t kBlobVersion1Start = 0x80;

// Page states only lose bits over a page's life, so they can be advanced on NOR flash without an erase.
enum class PageState : std::uint32_t {
  empty = 0xFFFFFFFFU,
  active = 0xFFFFFFFEU,
  full = 0xFFFFFFFCU,
  freeing = 0xFFFFFFF8U,
  corrupt = 0xFFFFFFF0U,
};

// Two bits per entry in the bitmap; written (10) becomes erased (00) by clearing a bit.
enum class EntryState : std::uint8_t { erased = 0b00, illegal = 0b01, written = 0b10, empty = 0b11 };

enum class ItemType : std::uint8_t {
  u8 = 0x01, i8 = 0x11, u16 = 0x02, i16 = 0x12, u32 = 0x04, i32 = 0x14, u64 = 0x08, i64 = 0x18,
  string = 0x21, blob_v1 = 0x41, blob_data = 0x42, blob_index = 0x48,
};

bool is_integer_type(std::uint8_t type);
std::size_t integer_width(std::uint8_t type);  // bytes of an integer type (low nibble)
bool has_data_entries(std::uint8_t type);      // string, blob v1, blob data: a header plus data entries

std::uint32_t read_u32(const std::uint8_t* bytes);
std::uint16_t read_u16(const std::uint8_t* bytes);
void write_u32(std::uint8_t* bytes, std::uint32_t value);
void write_u16(std::uint8_t* bytes, std::uint16_t value);

// CRC of a page header: bytes 4..27 (state and CRC excluded).
std::uint32_t header_crc(const std::uint8_t* header);
// CRC of an entry: bytes 0..3 and 8..31 (the CRC field excluded).
std::uint32_t entry_crc(const std::uint8_t* entry);

EntryState entry_state(const std::uint8_t* page, std::size_t index);
// The bitmap byte holding `index` with its two bits set to `state`.
std::uint8_t bitmap_byte_with(const std::uint8_t* page, std::size_t index, EntryState state);

const std::uint8_t* entry_at(const std::uint8_t* page, std::size_t index);
std::string entry_key(const std::uint8_t* entry);  // up to the first NUL, at most 16 bytes

// A 32-byte entry header: namespace, type, span, chunk, CRC, key, 8 data bytes (CRC filled in).
struct EntryHeader {
  std::uint8_t ns = 0;
  std::uint8_t type = 0;
  std::uint8_t span = 1;
  std::uint8_t chunk = kNoChunk;
  std::string key;
  std::uint8_t data[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
};
void encode_entry(const EntryHeader& header, std::uint8_t* out);

}  // namespace fw::nvs
