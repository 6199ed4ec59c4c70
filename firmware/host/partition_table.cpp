#include "partition_table.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace sim {
namespace {

constexpr std::uint32_t kNvsOffset = 0x9000;
constexpr std::uint32_t kNvsSize = 0x6000;
constexpr std::uint32_t kPhyOffset = 0xF000;
constexpr std::uint32_t kPhySize = 0x1000;
constexpr std::uint32_t kFactoryOffset = 0x10000;
constexpr std::uint32_t kFactoryMaxSize = 0x1E0000;
constexpr std::uint32_t kAppAlignment = 0x10000;  // app partitions start on 64 KiB boundaries

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_entry(std::vector<std::uint8_t>& out, std::uint8_t type, std::uint8_t subtype, std::uint32_t offset,
               std::uint32_t size, const char* label) {
  out.push_back(0xAA);
  out.push_back(0x50);
  out.push_back(type);
  out.push_back(subtype);
  put_u32(out, offset);
  put_u32(out, size);
  char name[16] = {};
  std::strncpy(name, label, sizeof name - 1);
  out.insert(out.end(), name, name + sizeof name);
  put_u32(out, 0);  // flags
}

}  // namespace

std::uint32_t flash_size_for(ProvPartition prov, std::uint32_t requested) {
  const std::uint64_t needed = static_cast<std::uint64_t>(prov.offset) + prov.size;
  std::uint64_t size = requested;
  while (size < needed && size < (16u << 20)) size *= 2;
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(size, requested));
}

std::string check_partition_layout(ProvPartition prov, std::uint32_t flash_size) {
  if (prov.offset % 0x1000 != 0 || prov.size % 0x1000 != 0 || prov.size == 0) {
    return "the prov partition offset and size must be non-zero multiples of 0x1000";
  }
  if (prov.offset < kFactoryOffset) return "the prov partition must start at or after 0x10000 (after nvs and phy_init)";
  if (static_cast<std::uint64_t>(prov.offset) + prov.size > flash_size) {
    return "the prov partition ends beyond the flash (" + std::to_string(flash_size) +
           " bytes); pass a larger --flash-size (at most 16MB)";
  }
  return {};
}

std::vector<std::uint8_t> build_partition_table(ProvPartition prov) {
  std::vector<std::uint8_t> table;
  put_entry(table, 1, 2, kNvsOffset, kNvsSize, "nvs");
  put_entry(table, 1, 1, kPhyOffset, kPhySize, "phy_init");
  std::uint32_t factory_size = std::min(kFactoryMaxSize, (prov.offset - kFactoryOffset) / kAppAlignment * kAppAlignment);
  if (factory_size > 0) put_entry(table, 0, 0, kFactoryOffset, factory_size, "factory");
  put_entry(table, 1, 2, prov.offset, prov.size, "prov");

  unsigned char digest[16];
  unsigned int digest_length = 0;
  EVP_Digest(table.data(), table.size(), digest, &digest_length, EVP_md5(), nullptr);
  table.push_back(0xEB);
  table.push_back(0xEB);
  table.insert(table.end(), 14, 0xFF);
  table.insert(table.end(), digest, digest + 16);
  return table;
}

}  // namespace sim
