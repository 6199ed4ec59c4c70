// One row per chip. Sources, checked against each other:
//   esptool (espressif/esptool, esptool/targets/<chip>.py): CHIP_DETECT_MAGIC_VALUE, IMAGE_CHIP_ID (the chip id
//     GET_SECURITY_INFO returns), EFUSE_BASE / MAC_EFUSE_REG, SPI_REG_BASE and SPI_*_OFFS, FLASH_WRITE_SIZE,
//     SUPPORTS_ENCRYPTED_FLASH (the fifth FLASH_BEGIN word), and read_mac()'s word layout;
//   esptool docs "Serial Protocol": status bytes, GET_SECURITY_INFO layouts (20 bytes with chip id, 12 on
//     ESP32-S2), commands per ROM ("ESP32 ROM does not support GET_SECURITY_INFO");
//   Technical reference manuals: "eFuse Controller" (EFUSE_RD_MAC_SPI_SYS_0/1, ESP32: EFUSE_BLK0_RDATA1/2) and
//     "SPI Controller" register summaries (SPI_MEM_* on the newer chips, SPI_* at 0x3FF42000 on the ESP32).
#include "provision/loader/chips.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace provision::loader {
namespace {

constexpr std::uint32_t bit(Command command) { return 1u << static_cast<unsigned>(command); }

// Every ESP32-family ROM loader (esptool docs, "Supported by Software Loader and ROM Loaders").
constexpr std::uint32_t kRomCommands =
    bit(Command::flash_begin) | bit(Command::flash_data) | bit(Command::flash_end) | bit(Command::mem_begin) |
    bit(Command::mem_end) | bit(Command::mem_data) | bit(Command::sync) | bit(Command::write_reg) |
    bit(Command::read_reg) | bit(Command::spi_set_params) | bit(Command::spi_attach) |
    bit(Command::read_flash_slow) | bit(Command::change_baudrate) | bit(Command::flash_defl_begin) |
    bit(Command::flash_defl_data) | bit(Command::flash_defl_end) | bit(Command::spi_flash_md5);
constexpr std::uint32_t kRomCommandsWithSecurity = kRomCommands | bit(Command::get_security_info);

// The ESP32's SPI0 controller (TRM "SPI Controller"; esptool ESP32ROM: USR 0x1C, USR1 0x20, USR2 0x24,
// MOSI_DLEN 0x28, MISO_DLEN 0x2C, W0 0x80).
constexpr SpiRegisters esp32_spi() { return {0x3FF42000, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x80}; }
// The SPI_MEM controller of the later chips (esptool ESP32S2ROM and descendants: USR 0x18, USR1 0x1C,
// USR2 0x20, MOSI_DLEN 0x24, MISO_DLEN 0x28, W0 0x58), at a per-chip base.
constexpr SpiRegisters spi_mem(std::uint32_t base) { return {base, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58}; }

const ChipFacts kChips[] = {
    // ESP32: no GET_SECURITY_INFO in its ROM; eFuse block 0 at 0x3FF5A000, MAC in EFUSE_BLK0_RDATA1 (word 0) and
    // RDATA2 (word 1, CRC in bits 16..23); FLASH_BEGIN has four words (no encrypted-write flag).
    {"esp32", "ESP32", {0x00F01D83}, 1, std::nullopt, 0, 0x3FF5A004, 0x3FF5A008, esp32_spi(), true, false, 4,
     0x400, kRomCommands, "WiFi,BT,dual-core", 16},
    // ESP32-S2: eFuse at 0x3F41A000, MAC_EFUSE_REG +0x044; GET_SECURITY_INFO without the chip id (12 bytes).
    {"esp32s2", "ESP32-S2", {0x000007C6}, 1, std::nullopt, 12, 0x3F41A044, 0x3F41A048, spi_mem(0x3F402000), true,
     true, 4, 0x400, kRomCommandsWithSecurity, "WiFi,single-core"},
    // ESP32-S3: IMAGE_CHIP_ID 9; eFuse at 0x60007000, MAC +0x044; SPI_MEM at 0x60002000.
    {"esp32s3", "ESP32-S3", {0x00000009}, 1, 9, 20, 0x60007044, 0x60007048, spi_mem(0x60002000), true, true, 4,
     0x400, kRomCommandsWithSecurity, "WiFi,BLE,dual-core"},
    // ESP32-C2 (ESP8684): IMAGE_CHIP_ID 12; eFuse at 0x60008800, MAC_EFUSE_REG +0x040 (one word earlier than C3).
    {"esp32c2", "ESP32-C2", {0x6F51306F, 0x7C41A06F}, 2, 12, 20, 0x60008840, 0x60008844, spi_mem(0x60002000), true,
     true, 4, 0x400, kRomCommandsWithSecurity, "WiFi,BLE,single-core"},
    // ESP32-C3: IMAGE_CHIP_ID 5; four magic values over its ECO revisions; eFuse at 0x60008800, MAC +0x044.
    {"esp32c3", "ESP32-C3", {0x6921506F, 0x1B31506F, 0x4881606F, 0x4361606F}, 4, 5, 20, 0x60008844, 0x60008848,
     spi_mem(0x60002000), true, true, 4, 0x400, kRomCommandsWithSecurity, "WiFi,BLE,single-core"},
    // ESP32-C6: IMAGE_CHIP_ID 13; eFuse at 0x600B0800, MAC +0x044; SPI_MEM at 0x60003000.
    {"esp32c6", "ESP32-C6", {0x2CE0806F}, 1, 13, 20, 0x600B0844, 0x600B0848, spi_mem(0x60003000), true, true, 4,
     0x400, kRomCommandsWithSecurity, "WiFi 6,BLE,802.15.4,single-core", std::nullopt, true},
    // ESP32-H2: IMAGE_CHIP_ID 16; eFuse at 0x600B0800, MAC +0x044; SPI_MEM at 0x60003000.
    {"esp32h2", "ESP32-H2", {0xD7B73E80}, 1, 16, 20, 0x600B0844, 0x600B0848, spi_mem(0x60003000), true, true, 4,
     0x400, kRomCommandsWithSecurity, "BLE,802.15.4,single-core", std::nullopt, true},
};

}  // namespace

std::span<const ChipFacts> all_chips() { return kChips; }

const ChipFacts* find_chip_by_name(std::string_view name) {
  for (const auto& chip : kChips) {
    if (chip.name == name) return &chip;
  }
  return nullptr;
}

const ChipFacts* find_chip_by_security_id(std::uint32_t chip_id) {
  for (const auto& chip : kChips) {
    if (chip.security_chip_id && *chip.security_chip_id == chip_id) return &chip;
  }
  return nullptr;
}

const ChipFacts* find_chip_by_magic(std::uint32_t magic) {
  for (const auto& chip : kChips) {
    auto values = std::span(chip.magic_values).first(chip.magic_count);
    if (std::find(values.begin(), values.end(), magic) != values.end()) return &chip;
  }
  return nullptr;
}

bool supports(const ChipFacts& chip, Command command) { return (chip.supported_commands & bit(command)) != 0; }

MacAddress mac_from_efuse_words(std::uint32_t word0, std::uint32_t word1) {
  return {static_cast<std::uint8_t>(word1 >> 8), static_cast<std::uint8_t>(word1),
          static_cast<std::uint8_t>(word0 >> 24), static_cast<std::uint8_t>(word0 >> 16),
          static_cast<std::uint8_t>(word0 >> 8),  static_cast<std::uint8_t>(word0)};
}

std::string eui64_from_efuse_words(std::uint32_t word0, std::uint32_t word1) {
  const MacAddress mac = mac_from_efuse_words(word0, word1);
  return fmt::format("{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}", mac[0], mac[1], mac[2],
                     (word1 >> 24) & 0xFF, (word1 >> 16) & 0xFF, mac[3], mac[4], mac[5]);
}

std::uint8_t mac_crc8(const MacAddress& mac) {
  std::uint8_t crc = 0;
  for (auto byte : mac) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? static_cast<std::uint8_t>((crc >> 1) ^ 0x8C) : crc >> 1;
  }
  return crc;
}

std::string efuse_mac_problem(const ChipFacts& chip, std::uint32_t word0, std::uint32_t word1) {
  const MacAddress mac = mac_from_efuse_words(word0, word1);
  if (auto reason = unusable_mac_reason(mac); !reason.empty()) return reason;
  if (!chip.mac_crc_shift) return {};
  const auto stored = static_cast<std::uint8_t>(word1 >> *chip.mac_crc_shift);
  const auto computed = mac_crc8(mac);
  if (stored == computed) return {};
  return fmt::format("its eFuse CRC 0x{:02X} disagrees with the CRC-8 of the MAC (0x{:02X})", stored, computed);
}

std::optional<std::uint32_t> flash_size_from_jedec(std::uint32_t rdid_word) {
  unsigned capacity = (rdid_word >> 16) & 0xFF;
  // 0x14 = 1 MiB ... 0x1B = 128 MiB; other codes are vendor-specific or a floating bus (0x00 / 0xFF).
  if (capacity < 0x14 || capacity > 0x1B) return std::nullopt;
  return 1u << capacity;
}

}  // namespace provision::loader
