// Facts about each supported chip, one table row per chip (lib/loader/chips.cpp cites the sources). Adding a chip
// is adding a row. Pure: no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "provision/identity.hpp"
#include "provision/loader/command.hpp"

namespace provision::loader {

// The register every ESP32-family ROM maps to a per-chip value (esptool: CHIP_DETECT_MAGIC_REG_ADDR).
inline constexpr std::uint32_t kChipDetectMagicAddress = 0x40001000;

// The SPI flash controller's user-command registers (esptool: SPI_REG_BASE and the *_OFFS constants).
struct SpiRegisters {
  std::uint32_t base = 0;
  std::uint32_t usr = 0;        // SPI_USR: command / MISO / MOSI phase enables
  std::uint32_t usr1 = 0;
  std::uint32_t usr2 = 0;       // command bit length and value
  std::uint32_t mosi_dlen = 0;  // 0 when the controller has no separate MOSI length register
  std::uint32_t miso_dlen = 0;
  std::uint32_t w0 = 0;         // first data buffer word
  std::uint32_t cmd() const { return base; }  // SPI_CMD at offset 0; bit 18 (USR) starts a user command
};

struct ChipFacts {
  std::string_view name;          // "esp32c3": the record's `chip` and the --chip spelling
  std::string_view display_name;  // "ESP32-C3"
  std::array<std::uint32_t, 4> magic_values{};  // values of kChipDetectMagicAddress seen on its revisions
  std::size_t magic_count = 0;
  std::optional<std::uint32_t> security_chip_id;  // GET_SECURITY_INFO chip id; none where the ROM lacks it
  std::size_t security_info_bytes = 0;            // GET_SECURITY_INFO body length (0: command unsupported)
  // eFuse words holding the factory MAC: word0 = MAC bytes 2..5 (byte 2 most significant), word1 low 16 bits =
  // bytes 0..1 (byte 0 in bits 15..8).
  std::uint32_t mac_word0_address = 0;
  std::uint32_t mac_word1_address = 0;
  SpiRegisters spi;
  bool needs_spi_attach = true;    // the ROM must attach the SPI flash before flash commands
  bool begin_has_encrypt_word = true;  // FLASH_BEGIN takes a fifth word (encrypted write)
  std::size_t status_bytes = 4;        // status bytes at the end of each ROM response
  std::size_t flash_write_block = 0x400;  // FLASH_DATA packet size the ROM accepts
  std::uint32_t supported_commands = 0;   // bit n set = command code n is supported by this ROM
  std::string_view features;              // the family's radio/core features, comma-separated
  // Bit position in MAC eFuse word 1 of a CRC-8 over the six MAC bytes, where the chip stores one (the ESP32:
  // esp_crc8, CRC-8/MAXIM); the later chips protect the block with Reed-Solomon the ROM applies itself.
  std::optional<unsigned> mac_crc_shift{};
  // Chips with an 802.15.4 radio hold MAC_EXT (ff:fe on the chips seen) in MAC eFuse word 1, bits 16..31: the
  // EUI-64 is OUI, MAC_EXT, NIC (esptool targets/esp32c6.py read_mac "EUI64").
  bool has_mac_ext = false;
};

std::span<const ChipFacts> all_chips();
const ChipFacts* find_chip_by_name(std::string_view name);
const ChipFacts* find_chip_by_security_id(std::uint32_t chip_id);
const ChipFacts* find_chip_by_magic(std::uint32_t magic);
bool supports(const ChipFacts& chip, Command command);

// The factory MAC from the two eFuse words as the chip stores them (see ChipFacts).
MacAddress mac_from_efuse_words(std::uint32_t word0, std::uint32_t word1);
// "60:55:F9:FF:FE:F7:2C:A2" (the case of the record's mac): the MAC's OUI, MAC_EXT (word 1 bits 16..31, high byte first), the MAC's NIC part.
std::string eui64_from_efuse_words(std::uint32_t word0, std::uint32_t word1);
// CRC-8/MAXIM (reflected polynomial 0x8C, initial 0) over the MAC bytes in order: the ESP32 ROM's esp_crc8.
std::uint8_t mac_crc8(const MacAddress& mac);
// Why the two words cannot be this chip's factory MAC (its CRC disagrees, or the MAC is not a unicast
// address), or empty when they can.
std::string efuse_mac_problem(const ChipFacts& chip, std::uint32_t word0, std::uint32_t word1);

// JEDEC RDID answer (SPI W0 after command 0x9F): manufacturer in bits 0..7, capacity code in bits 16..23.
// Returns the flash size in bytes (2^capacity) when the code is plausible (1 MiB..128 MiB per JEDEC practice).
std::optional<std::uint32_t> flash_size_from_jedec(std::uint32_t rdid_word);

}  // namespace provision::loader
