#include "provision/loader/regions.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "provision/error.hpp"

namespace provision::loader {
namespace {

constexpr std::uint64_t kSectorBytes = 4096;

std::uint64_t sector_floor(std::uint64_t at) { return at / kSectorBytes * kSectorBytes; }
std::uint64_t sector_ceil(std::uint64_t at) { return (at + kSectorBytes - 1) / kSectorBytes * kSectorBytes; }

std::string range_text(const RegionExtent& region) {
  return fmt::format("{} at 0x{:X}..0x{:X}", region.name, region.offset, region.offset + region.size);
}

}  // namespace

void require_disjoint_regions(const std::vector<RegionExtent>& regions, const std::string& field) {
  for (const auto& region : regions) {
    if (region.size == 0) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("{}: {} is empty; nothing would be written at 0x{:X}", field, region.name,
                              region.offset),
                  field);
    }
  }
  std::vector<RegionExtent> sorted = regions;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    const auto& before = sorted[i - 1];
    const auto& after = sorted[i];
    if (sector_ceil(before.offset + before.size) <= sector_floor(after.offset)) continue;
    throw Error(ErrorCode::bad_input,
                fmt::format("{}: {} overlaps {} (flash is erased in 4 KiB sectors, so regions may not share "
                            "one); nothing was written. Give each image its own sectors",
                            field, range_text(before), range_text(after)),
                field);
  }
}

std::vector<RegionExtent> extents_of(const std::vector<FlashRegion>& regions) {
  std::vector<RegionExtent> out;
  for (const auto& region : regions) out.push_back({region.offset, region.size(), region.name});
  return out;
}

void require_chip_choice(std::string_view choice) {
  if (choice.empty() || choice == "auto" || find_chip_by_name(choice)) return;
  std::string names = "auto";
  for (const auto& chip : all_chips()) names += fmt::format(", {}", chip.name);
  throw Error(ErrorCode::bad_input, fmt::format("chip: '{}' is not a chip espprov knows; give one of {}", choice, names),
              "chip");
}

void require_expected_chip(const ChipFacts* detected, std::string_view expected, const std::string& port) {
  if (expected.empty() || expected == "auto" || (detected && detected->name == expected)) return;
  throw Error(ErrorCode::wrong_board,
              fmt::format("chip: the board on {} is an {}, but --chip says {}; nothing was done to it (connect an "
                          "{} board, or give --chip {} or auto)",
                          port, detected ? detected->name : std::string_view("unknown chip"), expected, expected,
                          detected ? detected->name : std::string_view("auto")),
              "chip");
}

}  // namespace provision::loader
