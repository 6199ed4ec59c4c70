// The bundled firmware's partition table (firmware/PROTOCOL.md §1), written into a fresh flash image at 0x8000.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sim {

inline constexpr std::uint32_t kPartitionTableOffset = 0x8000;

struct ProvPartition {
  std::uint32_t offset = 0x3F0000;
  std::uint32_t size = 0x10000;
};

// The smallest standard flash size (1, 2, 4, 8, 16 MiB) that holds `prov`, at least `requested`.
std::uint32_t flash_size_for(ProvPartition prov, std::uint32_t requested);

// Empty when the layout is valid; otherwise what is wrong and what to do.
std::string check_partition_layout(ProvPartition prov, std::uint32_t flash_size);

// The binary table: nvs, phy_init, factory (as much of 0x10000..prov as fits, up to 0x1E0000), prov, MD5 entry.
std::vector<std::uint8_t> build_partition_table(ProvPartition prov);

}  // namespace sim
