#include "fw/partition_table.hpp"

#include <cstring>

namespace fw {
namespace {

constexpr std::size_t kEntryBytes = 32;

std::uint32_t le32(const std::uint8_t* b) {
  return static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
         (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
}

}  // namespace

std::vector<Partition> parse_partition_table(const std::uint8_t* bytes, std::size_t size) {
  std::vector<Partition> table;
  for (std::size_t at = 0; at + kEntryBytes <= size; at += kEntryBytes) {
    const std::uint8_t* e = bytes + at;
    if (e[0] != 0xAA || e[1] != 0x50) break;  // magic 0x50AA little-endian; MD5 entry (EB EB) or 0xFF ends it
    Partition p;
    p.type = e[2];
    p.subtype = e[3];
    p.offset = le32(e + 4);
    p.size = le32(e + 8);
    const char* label = reinterpret_cast<const char*>(e + 12);
    p.label.assign(label, strnlen(label, 16));
    table.push_back(std::move(p));
  }
  return table;
}

std::optional<Partition> find_nvs_partition(const std::vector<Partition>& table, const std::string& label) {
  for (const auto& p : table) {
    if (p.label == label && p.type == kPartitionTypeData && p.subtype == kPartitionSubtypeNvs) return p;
  }
  return std::nullopt;
}

std::vector<Partition> default_partition_table() {
  return {
      {"nvs", kPartitionTypeData, kPartitionSubtypeNvs, 0x9000, 0x6000},
      {"phy_init", kPartitionTypeData, 1, 0xF000, 0x1000},
      {"factory", 0, 0, 0x10000, 0x1E0000},
      {"prov", kPartitionTypeData, kPartitionSubtypeNvs, 0x3F0000, 0x10000},
  };
}

}  // namespace fw
