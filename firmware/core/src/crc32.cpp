#include "fw/crc32.hpp"

#include <array>

namespace fw {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1U) ? (0xEDB88320U ^ (c >> 1)) : (c >> 1);
    table[i] = c;
  }
  return table;
}

constexpr auto kTable = make_table();

}  // namespace

std::uint32_t nvs_crc32(const std::uint8_t* data, std::size_t length) {
  // zlib.crc32(data, 0xFFFFFFFF): the running value 0xFFFFFFFF is xor-ed on entry, so the register starts at 0.
  std::uint32_t crc = 0;
  for (std::size_t i = 0; i < length; ++i) crc = kTable[(crc ^ data[i]) & 0xFFU] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFU;
}

}  // namespace fw
