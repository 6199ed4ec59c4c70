#include "register_space.hpp"

#include <bit>

namespace sim {
namespace {

// SPI controller bits (ESP32 TRM "SPI" / ESP32-C3 TRM "SPI0 and SPI1": SPI_MEM_CMD_REG.SPI_MEM_USR starts a user
// command and reads back 0 when it is done; USR2 holds the command value in bits 15..0 and its bit length - 1 in
// bits 31..28; MISO_DLEN holds the number of bits to read - 1).
constexpr std::uint32_t kSpiCmdUsr = 1u << 18;
constexpr std::uint32_t kSpiUsrMiso = 1u << 28;
constexpr std::uint32_t kSpiDataWords = 16;

// A Winbond W25Q-series id: manufacturer 0xEF, memory type 0x40, capacity code = log2(size in bytes).
constexpr std::uint8_t kJedecManufacturer = 0xEF;
constexpr std::uint8_t kJedecMemoryType = 0x40;

// SPI NOR commands answered through the register interface (JEDEC JESD216 for SFDP).
constexpr std::uint8_t kCmdReadId = 0x9F;
constexpr std::uint8_t kCmdReadStatus = 0x05;
constexpr std::uint8_t kCmdReadStatus2 = 0x35;
constexpr std::uint8_t kCmdReadStatus3 = 0x15;
constexpr std::uint8_t kCmdReadSfdp = 0x5A;

// The ESP32 ROM's esp_crc8 over the six MAC bytes in order: CRC-8/MAXIM (reflected polynomial 0x8C, initial 0),
// as espefuse computes MAC_FACTORY_CRC.
std::uint32_t mac_crc8(const std::array<std::uint8_t, 6>& mac) {
  std::uint8_t crc = 0;
  for (std::uint8_t byte : mac) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? static_cast<std::uint8_t>((crc >> 1) ^ 0x8C) : crc >> 1;
  }
  return crc;
}

}  // namespace

RegisterSpace::RegisterSpace(const ChipFacts& chip, std::array<std::uint8_t, 6> mac, std::uint32_t flash_size_bytes)
    : chip_(chip), mac_(mac), flash_size_(flash_size_bytes) {}

std::array<std::uint8_t, 3> RegisterSpace::jedec_id() const {
  auto capacity = static_cast<std::uint8_t>(std::bit_width(flash_size_) - 1);
  return {kJedecManufacturer, kJedecMemoryType, capacity};
}

std::uint32_t RegisterSpace::read(std::uint32_t address) const {
  if (address == kChipDetectMagicAddress) return chip_.detect_magic;
  if (address == chip_.mac_word0_address) {
    return (std::uint32_t{mac_[2]} << 24) | (std::uint32_t{mac_[3]} << 16) | (std::uint32_t{mac_[4]} << 8) | mac_[5];
  }
  if (address == chip_.mac_word1_address) {
    const std::uint32_t crc = chip_.mac_crc_shift ? mac_crc8(mac_) << *chip_.mac_crc_shift : 0;
    return (std::uint32_t{chip_.mac_ext} << 16) | crc | (std::uint32_t{mac_[0]} << 8) | mac_[1];
  }
  auto it = written_.find(address);
  return it == written_.end() ? 0 : it->second;
}

void RegisterSpace::write(std::uint32_t address, std::uint32_t value, std::uint32_t mask) {
  std::uint32_t old = read(address);
  written_[address] = (old & ~mask) | (value & mask);
  if (address == spi(0) && (written_[address] & kSpiCmdUsr)) run_user_command();
}

void RegisterSpace::reset() { written_.clear(); }

void RegisterSpace::run_user_command() {
  const std::uint32_t usr = read(spi(chip_.spi.usr_offset));
  const auto command = static_cast<std::uint8_t>(read(spi(chip_.spi.usr2_offset)) & 0xFF);
  const std::uint32_t address = read(spi(0x04));
  std::array<std::uint8_t, kSpiDataWords * 4> miso{};
  switch (command) {
    case kCmdReadId: {
      auto id = jedec_id();
      miso[0] = id[0];
      miso[1] = id[1];
      miso[2] = id[2];
      break;
    }
    case kCmdReadStatus:
    case kCmdReadStatus2:
    case kCmdReadStatus3:
      break;  // idle, no write in progress, no protection bits
    case kCmdReadSfdp: {
      // A minimal SFDP header (signature "SFDP", revision 1.0, one parameter header); other addresses read 0xFF.
      static constexpr std::uint8_t header[8] = {'S', 'F', 'D', 'P', 0x00, 0x01, 0x00, 0xFF};
      for (std::size_t i = 0; i < miso.size(); ++i) {
        std::uint32_t at = (address & 0xFFFFFF) + static_cast<std::uint32_t>(i);
        miso[i] = at < sizeof header ? header[at] : 0xFF;
      }
      break;
    }
    default:
      break;  // write enable, status writes and the like change nothing observable here
  }
  if (usr & kSpiUsrMiso) {
    const std::uint32_t bits = (read(spi(chip_.spi.miso_dlen_offset)) & 0x3FFFF) + 1;
    const std::uint32_t bytes = std::min<std::uint32_t>((bits + 7) / 8, sizeof miso);
    for (std::uint32_t i = bytes; i < miso.size(); ++i) miso[i] = 0;
    for (std::uint32_t word = 0; word < kSpiDataWords; ++word) {
      std::uint32_t value = 0;
      for (int b = 0; b < 4; ++b) value |= std::uint32_t{miso[word * 4 + b]} << (8 * b);
      written_[spi(chip_.spi.w0_offset) + 4 * word] = value;
    }
  }
  written_[spi(0)] &= ~kSpiCmdUsr;  // the controller finishes at once
}

}  // namespace sim
