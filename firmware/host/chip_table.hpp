// Facts about each simulated chip's ROM bootloader: one row per chip in chip_table.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace sim {

// What the ROM answers to GET_SECURITY_INFO (0x14).
enum class SecurityInfo {
  unsupported,     // ESP32 ROM: the command is unknown, the ROM answers "invalid message"
  without_chip_id, // ESP32-S2 ROM: flags, flash_crypt_cnt, key_purposes (12 bytes)
  with_chip_id,    // later ROMs: + chip_id and eco_version (20 bytes)
};

// Register layout of the SPI controller the ROM uses for the flash chip (SPI1 / SPI_MEM).
struct SpiRegisterLayout {
  std::uint32_t base;
  std::uint32_t usr_offset;
  std::uint32_t usr1_offset;
  std::uint32_t usr2_offset;
  std::uint32_t mosi_dlen_offset;
  std::uint32_t miso_dlen_offset;
  std::uint32_t w0_offset;
};

struct ChipFacts {
  std::string_view name;                // "esp32c3"
  std::uint32_t detect_magic;           // value of the register at kChipDetectMagicAddress
  std::uint32_t mac_word0_address;      // eFuse word holding MAC bytes 2..5 (big-endian within the word)
  std::uint32_t mac_word1_address;      // eFuse word holding MAC bytes 0..1 in its low 16 bits
  SpiRegisterLayout spi;
  std::uint8_t status_bytes;            // status bytes at the end of every ROM response
  SecurityInfo security_info;
  std::uint32_t chip_id;                // IMAGE_CHIP_ID reported by GET_SECURITY_INFO
  std::string_view rom_banner;          // what the ROM prints when it boots into download mode
  // Where MAC word 1 holds a CRC-8 of the MAC (ESP32 only: EFUSE_BLK0_RDATA2 bits 16..23, checked by
  // esp_efuse_mac_get_default with the ROM's esp_crc8); none on chips whose eFuse blocks carry Reed-Solomon.
  std::optional<unsigned> mac_crc_shift = std::nullopt;
  // MAC_EXT in MAC word 1 bits 16..31 (chips with an 802.15.4 radio; their EUI-64 is OUI, MAC_EXT, NIC). Real
  // ESP32-C6 and ESP32-H2 chips hold ff:fe there (esptool read_mac "EUI64" prints ..:ff:fe:..); 0 elsewhere.
  std::uint16_t mac_ext = 0;
};

// The security state a board's eFuses give its ROM loader (what GET_SECURITY_INFO reports).
struct BoardSecurity {
  // ENABLE_SECURITY_DOWNLOAD burnt: the ROM answers only the commands esptool's docs list for Secure Download
  // Mode ("Serial Protocol" / "Supported in Secure Download Mode") and refuses the others.
  bool secure_download = false;
  // FLASH_CRYPT_CNT (SPI_BOOT_CRYPT_CNT) with an odd number of bits set: flash encryption enabled.
  bool flash_encryption = false;
};

// The ROMs answer chip detection from this address (UART date register area the ROM maps identically on all chips).
inline constexpr std::uint32_t kChipDetectMagicAddress = 0x40001000;

const std::vector<ChipFacts>& chip_table();
std::optional<ChipFacts> find_chip(std::string_view name);

}  // namespace sim
