// CRC32 as ESP-IDF's NVS computes it: esp_rom_crc32_le(0xFFFFFFFF, ...), i.e. zlib.crc32(data, 0xFFFFFFFF).
// Reflected polynomial 0xEDB88320; check value for "123456789" is 0xD202D277.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fw {

std::uint32_t nvs_crc32(const std::uint8_t* data, std::size_t length);

}  // namespace fw
