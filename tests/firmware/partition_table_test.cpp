#include <catch2/catch.hpp>

#include <cstring>

#include "fw/partition_table.hpp"

namespace partition_table_test {

namespace {

void put(std::vector<std::uint8_t>& table, std::size_t i, const char* label, std::uint8_t type, std::uint8_t subtype,
         std::uint32_t offset, std::uint32_t size) {
  std::uint8_t* e = table.data() + i * 32;
  std::memset(e, 0, 32);
  e[0] = 0xAA, e[1] = 0x50, e[2] = type, e[3] = subtype;
  for (int b = 0; b < 4; ++b) e[4 + b] = static_cast<std::uint8_t>(offset >> (8 * b));
  for (int b = 0; b < 4; ++b) e[8 + b] = static_cast<std::uint8_t>(size >> (8 * b));
  std::memcpy(e + 12, label, std::strlen(label));
}

}  // namespace

TEST_CASE("the partition table parser stops at the MD5 entry and finds nvs partitions by label", "[firmware][partition]") {
  std::vector<std::uint8_t> table(0xC00, 0xFF);
  put(table, 0, "nvs", 1, 2, 0x9000, 0x6000);
  put(table, 1, "phy_init", 1, 1, 0xF000, 0x1000);
  put(table, 2, "prov", 1, 1, 0x100000, 0x1000);  // a prov that is not data/nvs does not count
  put(table, 3, "prov", 1, 2, 0x3F0000, 0x10000);
  table[4 * 32] = 0xEB;
  table[4 * 32 + 1] = 0xEB;
  put(table, 5, "after_md5", 1, 2, 0, 0x1000);
  const auto parsed = fw::parse_partition_table(table.data(), table.size());
  REQUIRE(parsed.size() == 4);
  CHECK(parsed[1].label == "phy_init");
  const auto prov = fw::find_nvs_partition(parsed, "prov");
  REQUIRE(prov);
  CHECK(prov->offset == 0x3F0000);
  CHECK(prov->size == 0x10000);
  CHECK_FALSE(fw::find_nvs_partition(parsed, "after_md5"));
}

TEST_CASE("a blank flash has no partition table", "[firmware][partition]") {
  std::vector<std::uint8_t> blank(0xC00, 0xFF);
  CHECK(fw::parse_partition_table(blank.data(), blank.size()).empty());
}

}  // namespace partition_table_test
