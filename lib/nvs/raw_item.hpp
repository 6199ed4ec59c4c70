// What the reader finds in one written entry, before namespaces are resolved and blobs assembled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layout.hpp"
#include "provision/nvs.hpp"

namespace provision::nvs::detail {

struct RawItem {
  std::size_t page = 0;
  std::size_t entry = 0;
  bool on_freeing_page = false;
  std::uint8_t ns = 0;
  layout::ItemType type = layout::ItemType::any;
  std::uint8_t chunk = 0xFF;
  std::string key;
  std::uint64_t bits = 0;          // integers; blob index: total size
  std::uint8_t chunk_count = 0;    // blob index
  std::uint8_t chunk_start = 0;    // blob index
  std::vector<std::uint8_t> data;  // string (NUL included), blob_v1, blob_data
};

// Resolves namespaces, assembles multi-page blobs and drops superseded copies; defects go to report.problems.
void assemble_content(std::vector<RawItem>& items, ReadReport& report);

std::string printable(std::string_view text);

}  // namespace provision::nvs::detail
