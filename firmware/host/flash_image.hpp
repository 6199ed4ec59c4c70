// The simulated SPI NOR flash chip: a memory-mapped image file that persists across runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "power_cut.hpp"

namespace sim {

inline constexpr std::uint32_t kSectorBytes = 4096;
inline constexpr std::uint32_t kBlockBytes = 65536;
inline constexpr std::uint32_t kPageBytes = 256;

// Typical program/erase times of a 3 V serial NOR flash (Winbond W25Q32FV datasheet, AC electrical
// characteristics: tPP 0.7 ms per 256-byte page, tSE 45 ms per 4 KiB sector, tBE2 150 ms per 64 KiB block).
inline constexpr double kPageProgramMs = 0.7;
inline constexpr double kSectorEraseMs = 45.0;
inline constexpr double kBlockEraseMs = 150.0;

class FlashImage {
 public:
  // Opens `path`, creating it (all 0xFF) when missing. Throws std::runtime_error with a clear message when the file
  // exists with another size.
  FlashImage(const std::filesystem::path& path, std::uint32_t size_bytes);
  ~FlashImage();
  FlashImage(const FlashImage&) = delete;
  FlashImage& operator=(const FlashImage&) = delete;

  bool created() const { return created_; }  // true when this run made the file
  std::uint32_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

  bool contains(std::uint64_t address, std::uint64_t length) const { return address + length <= size_; }
  bool read(std::uint32_t address, void* out, std::size_t length) const;
  // NOR program: every byte becomes old AND new (a write can only clear bits).
  bool program(std::uint32_t address, const void* data, std::size_t length);
  // Sets whole sectors to 0xFF; address and length must be sector aligned.
  bool erase(std::uint32_t address, std::size_t length);
  // Both go through the power-cut fault: false (and part of the operation done) when the power goes off in it,
  // false (nothing done) while it is off.
  PowerCut& power_cut() { return power_cut_; }
  const PowerCut& power_cut() const { return power_cut_; }
  const std::uint8_t* data() const { return bytes_; }

  // Datasheet time for erasing [address, address+length) sector-aligned: 64 KiB blocks where aligned, else sectors.
  static double erase_time_ms(std::uint32_t address, std::uint32_t length);
  static double program_time_ms(std::size_t length);

 private:
  std::filesystem::path path_;
  std::uint32_t size_ = 0;
  std::uint8_t* bytes_ = nullptr;
  int fd_ = -1;
  bool created_ = false;
  PowerCut power_cut_;
};

}  // namespace sim
