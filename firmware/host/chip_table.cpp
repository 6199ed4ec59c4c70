#include "chip_table.hpp"

namespace sim {

// Sources: esptool targets/*.py (CHIP_DETECT_MAGIC_VALUE, EFUSE_BASE/MAC_EFUSE_REG, SPI_REG_BASE and the SPI_*_OFFS
// constants, IMAGE_CHIP_ID, STATUS_BYTES_LENGTH), esptool docs "Serial Protocol" (status bytes: all ESP32-family ROM
// loaders append 4 bytes, only the first two carry status; GET_SECURITY_INFO layouts), the chips' Technical Reference
// Manuals (eFuse BLOCK1 MAC words, SPI1/SPI_MEM register map). Banners as the ROMs print them on a download boot.
// ESP32's MAC lives in BLOCK0 words 1 (bytes 2..5) and 2 (bytes 0..1, CRC8 in bits 16..23, see mac_crc_shift).
const std::vector<ChipFacts>& chip_table() {
  static const std::vector<ChipFacts> table = {
      {"esp32", 0x00F01D83, 0x3FF5A004, 0x3FF5A008, {0x3FF42000, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x80}, 4,
       SecurityInfo::unsupported, 0,
       "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))"
       "\r\nwaiting for download\r\n", 16},
      {"esp32s2", 0x000007C6, 0x3F41A044, 0x3F41A048, {0x3F402000, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58}, 4,
       SecurityInfo::without_chip_id, 2,
       "ESP-ROM:esp32s2-rc4-20191025\r\nBuild:Oct 25 2019\r\nrst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0/1))\r\n"
       "waiting for download\r\n"},
      {"esp32s3", 0x00000009, 0x60007044, 0x60007048, {0x60002000, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58}, 4,
       SecurityInfo::with_chip_id, 9,
       "ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\nrst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0))\r\n"
       "waiting for download\r\n"},
      {"esp32c2", 0x6F51306F, 0x60008840, 0x60008844, {0x60002000, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58}, 4,
       SecurityInfo::with_chip_id, 12,
       "ESP-ROM:esp8684-api2-20220127\r\nBuild:Jan 27 2022\r\nrst:0x1 (POWERON),boot:0x4 (DOWNLOAD(UART0))\r\n"
       "waiting for download\r\n"},
      {"esp32c3", 0x6921506F, 0x60008844, 0x60008848, {0x60002000, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58}, 4,
       SecurityInfo::with_chip_id, 5,
       "ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\nrst:0x1 (POWERON),boot:0x7 (DOWNLOAD(USB/UART0/1))\r\n"
       "waiting for download\r\n"},
      {"esp32c6", 0x2CE0806F, 0x600B0844, 0x600B0848, {0x60003000, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58}, 4,
       SecurityInfo::with_chip_id, 13,
       "ESP-ROM:esp32c6-20220919\r\nBuild:Sep 19 2022\r\nrst:0x1 (POWERON),boot:0x4 (DOWNLOAD(USB/UART0/SDIO))\r\n"
       "waiting for download\r\n", std::nullopt, 0xFFFE},
      {"esp32h2", 0xD7B73E80, 0x600B0844, 0x600B0848, {0x60003000, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58}, 4,
       SecurityInfo::with_chip_id, 16,
       "ESP-ROM:esp32h2-20221101\r\nBuild:Nov  1 2022\r\nrst:0x1 (POWERON),boot:0x4 (DOWNLOAD(USB/UART0))\r\n"
       "waiting for download\r\n", std::nullopt, 0xFFFE},
  };
  return table;
}

std::optional<ChipFacts> find_chip(std::string_view name) {
  for (const auto& chip : chip_table()) {
    if (chip.name == name) return chip;
  }
  return std::nullopt;
}

}  // namespace sim
