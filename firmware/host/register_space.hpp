// The memory-mapped registers a ROM client reads and writes with READ_REG/WRITE_REG: the chip-detect magic, the
// eFuse MAC words, and the SPI flash controller's user-command interface (RDID, RDSR, SFDP...).
#pragma once

#include <array>
#include <cstdint>
#include <map>

#include "chip_table.hpp"

namespace sim {

class RegisterSpace {
 public:
  RegisterSpace(const ChipFacts& chip, std::array<std::uint8_t, 6> mac, std::uint32_t flash_size_bytes);

  std::uint32_t read(std::uint32_t address) const;
  void write(std::uint32_t address, std::uint32_t value, std::uint32_t mask);
  // JEDEC id bytes (manufacturer, memory type, capacity) as RDID returns them.
  std::array<std::uint8_t, 3> jedec_id() const;
  void reset();  // registers lose their values on a chip reset (eFuse and magic stay)

 private:
  void run_user_command();
  std::uint32_t spi(std::uint32_t offset) const { return chip_.spi.base + offset; }

  ChipFacts chip_;
  std::array<std::uint8_t, 6> mac_;
  std::uint32_t flash_size_;
  std::map<std::uint32_t, std::uint32_t> written_;
};

}  // namespace sim
