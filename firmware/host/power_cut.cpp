#include "power_cut.hpp"

#include <cstring>

namespace sim {

bool PowerCut::cut_this_operation() {
  const bool cut = cut_at_ && operations_ == *cut_at_;
  ++operations_;
  if (cut) {
    cut_at_.reset();
    powered_ = false;
  }
  return cut;
}

bool PowerCut::program(std::uint8_t* flash, const std::uint8_t* data, std::size_t length) {
  if (!powered_) return false;
  if (!cut_this_operation()) {
    for (std::size_t i = 0; i < length; ++i) flash[i] &= data[i];
    return true;
  }
  if (effect_ == CutEffect::nothing) return false;
  for (std::size_t i = 0; i < length; ++i) {
    const auto clearing = static_cast<std::uint8_t>(flash[i] & ~data[i]);
    const auto cleared = static_cast<std::uint8_t>(clearing & rng_());
    flash[i] = static_cast<std::uint8_t>(flash[i] & ~cleared);
  }
  return false;
}

bool PowerCut::erase(std::uint8_t* flash, std::size_t length, std::size_t sector_bytes) {
  if (!powered_) return false;
  if (!cut_this_operation()) {
    std::memset(flash, 0xFF, length);
    return true;
  }
  const std::size_t sectors = length / sector_bytes;
  if (sectors == 0 || effect_ == CutEffect::nothing) return false;
  const std::size_t cut_sector = static_cast<std::size_t>(rng_() % sectors);
  std::memset(flash, 0xFF, cut_sector * sector_bytes);
  for (std::size_t i = cut_sector * sector_bytes; i < (cut_sector + 1) * sector_bytes; ++i) {
    flash[i] = static_cast<std::uint8_t>(rng_());
  }
  return false;
}

}  // namespace sim
