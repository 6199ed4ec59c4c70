// The ESP-IDF partition table (PROTOCOL.md §1): 32-byte entries at flash offset 0x8000. Pure: parses bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fw {

constexpr std::uint32_t kPartitionTableOffset = 0x8000;
constexpr std::size_t kPartitionTableMaxBytes = 0xC00;  // ESP-IDF reserves 3 KiB for the table (96 entries)

struct Partition {
  std::string label;
  std::uint8_t type = 0;     // 0 app, 1 data
  std::uint8_t subtype = 0;  // data: 1 phy, 2 nvs
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
};

constexpr std::uint8_t kPartitionTypeData = 1;
constexpr std::uint8_t kPartitionSubtypeNvs = 2;

// Entries up to the first non-entry (0xFF, the MD5 entry or garbage). Empty when the first entry is not valid.
std::vector<Partition> parse_partition_table(const std::uint8_t* bytes, std::size_t size);

// The data/nvs partition with this label.
std::optional<Partition> find_nvs_partition(const std::vector<Partition>& table, const std::string& label);

// The layout of PROTOCOL.md §1, used when the flash holds no partition table (a blank simulated flash).
std::vector<Partition> default_partition_table();

}  // namespace fw
