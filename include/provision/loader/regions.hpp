// Several images written in one run (esptool write_flash's OFFSET FILE pairs, provision --flash) and the checks
// made on them before a board is touched. Pure: values in, errors out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "provision/loader/chips.hpp"

namespace provision::loader {

// One image and where it goes. `name` (the file) appears in messages and in the record.
struct FlashRegion {
  std::uint32_t offset = 0;
  std::shared_ptr<const std::vector<std::uint8_t>> data;
  std::string name;
  std::uint64_t size() const { return data ? data->size() : 0; }
};

// Where a region lands on flash, for the overlap check (the credentials partition is one too).
struct RegionExtent {
  std::uint32_t offset = 0;
  std::uint64_t size = 0;
  std::string name;
};

// Throws Error(bad_input, `field`) when two regions touch the same 4 KiB sector (a write erases whole sectors from
// the one below its offset, so a shared sector would lose the other region's bytes) or a region is empty, naming
// both regions and their ranges.
void require_disjoint_regions(const std::vector<RegionExtent>& regions, const std::string& field);
std::vector<RegionExtent> extents_of(const std::vector<FlashRegion>& regions);

// --chip: "auto" (no check) or a chip of the table. Throws Error(bad_input, "chip") naming the value and the
// choices.
void require_chip_choice(std::string_view choice);
// The detected chip must be the one --chip named (nothing when "auto" or empty). Throws Error(wrong_board, "chip")
// naming both, before the board is touched further.
void require_expected_chip(const ChipFacts* detected, std::string_view expected, const std::string& port);

}  // namespace provision::loader
