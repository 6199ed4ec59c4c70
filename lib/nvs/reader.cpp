// The NVS reader: walks pages and entries, checks every CRC and reports each defect as a Problem.
// It accepts what a running device leaves behind: erased entries, FREEING pages, pages in any sequence order.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "layout.hpp"
#include "raw_item.hpp"
#include "provision/error.hpp"
#include "provision/nvs.hpp"

namespace provision::nvs {
namespace {

using layout::ItemType;

using detail::RawItem;
using detail::printable;

class ImageReader {
 public:
  ImageReader(std::span<const std::uint8_t> image, ReadReport& report) : image_(image), report_(report) {}

  std::vector<RawItem> read_pages() {
    // An empty or cut-short file is no partition, even though it has no page that could fail a check.
    if (image_.size() < kMinPartitionPages * kPageSize) {
      problem("image_size", 0, std::nullopt,
              fmt::format("image of {} bytes is shorter than the smallest NVS partition (0x{:X}: {} pages of 4096); "
                          "the file is empty or cut short",
                          image_.size(), kMinPartitionPages * kPageSize, kMinPartitionPages));
    }
    if (image_.size() % kPageSize != 0) {
      problem("image_size", image_.size() / kPageSize, std::nullopt,
              fmt::format("image size {} is not a multiple of 4096; the last {} bytes are not a page", image_.size(),
                          image_.size() % kPageSize));
    }
    std::vector<std::pair<std::uint32_t, std::size_t>> order;  // (sequence, page)
    for (std::size_t page = 0; page < image_.size() / kPageSize; ++page) {
      if (read_header(page)) order.emplace_back(report_.pages[page].sequence, page);
    }
    std::stable_sort(order.begin(), order.end());
    std::vector<RawItem> items;
    for (auto [sequence, page] : order) read_entries(page, items);
    return items;
  }

  void problem(std::string kind, std::size_t page, std::optional<std::size_t> entry, std::string message) {
    report_.problems.push_back(Problem{std::move(kind), page, entry, std::move(message)});
  }

 private:
  const std::uint8_t* page_bytes(std::size_t page) const { return image_.data() + page * kPageSize; }

  // Returns true when the page holds entries worth reading.
  bool read_header(std::size_t page) {
    const std::uint8_t* bytes = page_bytes(page);
    PageSummary summary;
    summary.index = page;
    const std::uint32_t state = layout::load_u32(bytes);
    summary.sequence = layout::load_u32(bytes + 4);
    bool readable = false;
    if (state == layout::kPageUninitialized) {
      summary.state = "empty";
      auto stray = std::find_if(bytes, bytes + kPageSize, [](std::uint8_t b) { return b != 0xFF; });
      if (stray != bytes + kPageSize) {
        problem("uninitialized_page_data", page, std::nullopt,
                fmt::format("page {} has no header (state 0xFFFFFFFF) but holds data at offset {:#x}", page,
                            page * kPageSize + static_cast<std::size_t>(stray - bytes)));
      }
    } else if (state == layout::kPageActive || state == layout::kPageFull || state == layout::kPageFreeing) {
      summary.state = state == layout::kPageActive ? "active" : state == layout::kPageFull ? "full" : "freeing";
      readable = check_header(page, bytes, summary);
    } else if (state == layout::kPageCorrupt || state == layout::kPageInvalid) {
      summary.state = state == layout::kPageCorrupt ? "corrupt" : "invalid";
      problem("page_state", page, std::nullopt,
              fmt::format("page {} is marked {} ({:#010x}); a device discards it", page, summary.state, state));
    } else {
      summary.state = "unknown";
      problem("page_state", page, std::nullopt,
              fmt::format("page {} has state {:#010x}, not one NVS writes (active 0xFFFFFFFE, full 0xFFFFFFFC, "
                          "freeing 0xFFFFFFF8)",
                          page, state));
    }
    report_.pages.push_back(summary);
    return readable;
  }

  bool check_header(std::size_t page, const std::uint8_t* bytes, PageSummary& summary) {
    const std::uint32_t stored = layout::load_u32(bytes + layout::kHeaderCrcOffset);
    const std::uint32_t computed = layout::header_crc(bytes);
    if (stored != computed) {
      problem("header_crc", page, std::nullopt,
              fmt::format("page {} header CRC32 is {:#010x}, its bytes give {:#010x}; the page is damaged", page,
                          stored, computed));
      return false;
    }
    if (bytes[8] == layout::kVersion2Byte) {
      summary.version = 2;
    } else if (bytes[8] == layout::kVersion1Byte) {
      summary.version = 1;
    } else {
      problem("page_version", page, std::nullopt,
              fmt::format("page {} has format version byte {:#04x}; known are 0xFE (2) and 0xFF (1)", page, bytes[8]));
      return false;
    }
    return true;
  }

  void read_entries(std::size_t page, std::vector<RawItem>& items) {
    const std::uint8_t* bytes = page_bytes(page);
    PageSummary& summary = report_.pages[page];
    std::size_t i = 0;
    while (i < kEntriesPerPage) {
      const unsigned state = layout::entry_state(bytes, i);
      if (state == layout::kEntryEmpty) {
        ++i;
      } else if (state == layout::kEntryErased) {
        ++summary.erased_entries;
        ++i;
      } else if (state != layout::kEntryWritten) {
        problem("entry_state", page, i, fmt::format("page {} entry {} has the illegal state bits 01", page, i));
        ++i;
      } else {
        i += read_item(page, i, summary, items);
      }
    }
  }

  // Reads the item whose header is entry `i`; returns the entries it occupies (at least 1).
  std::size_t read_item(std::size_t page, std::size_t i, PageSummary& summary, std::vector<RawItem>& items) {
    const std::uint8_t* entry = page_bytes(page) + kFirstEntryOffset + i * kEntrySize;
    RawItem item;
    item.page = page;
    item.entry = i;
    item.on_freeing_page = summary.state == "freeing";
    item.ns = entry[0];
    item.type = static_cast<ItemType>(entry[1]);
    item.chunk = entry[3];
    const std::uint8_t span = entry[2];
    const char* key = reinterpret_cast<const char*>(entry + 8);
    item.key.assign(key, strnlen(key, 16));
    const bool variable_length = item.type == ItemType::string || item.type == ItemType::blob_v1 ||
                                 item.type == ItemType::blob_data;
    const std::size_t claimed = variable_length && span >= 1 && i + span <= kEntriesPerPage ? span : 1;
    const std::uint32_t stored = layout::load_u32(entry + 4);
    const std::uint32_t computed = layout::entry_crc(entry);
    if (stored != computed) {
      problem("entry_crc", page, i,
              fmt::format("page {} entry {} (key '{}'): header CRC32 is {:#010x}, its bytes give {:#010x}", page, i,
                          printable(item.key), stored, computed));
      summary.written_entries += claimed;
      return claimed;
    }
    if (item.key.size() > kMaxNameLength) {
      problem("key_unterminated", page, i,
              fmt::format("page {} entry {}: the key field has no NUL within 16 bytes", page, i));
    }
    if (item.ns == layout::kNamespaceAny) {
      problem("namespace_index", page, i,
              fmt::format("page {} entry {} (key '{}') uses namespace index 255, reserved for 'any'", page, i,
                          printable(item.key)));
    }
    std::size_t used = 1;
    if (layout::is_integer_item(item.type)) {
      item.bits = 0;
      const int width = layout::integer_width_bytes(item.type);
      for (int b = 0; b < width; ++b) item.bits |= static_cast<std::uint64_t>(entry[24 + b]) << (8 * b);
      if (span != 1) span_problem(page, i, item.key, span, 1);
    } else if (variable_length) {
      bool usable = false;
      used = read_variable_data(page, i, entry, span, item, usable);
      if (!usable) {
        used = std::max<std::size_t>(used, claimed);
        summary.written_entries += used;
        return used;
      }
    } else if (item.type == ItemType::blob_index) {
      item.bits = layout::load_u32(entry + 24);
      item.chunk_count = entry[28];
      item.chunk_start = entry[29];
      if (span != 1) span_problem(page, i, item.key, span, 1);
    } else {
      problem("unknown_type", page, i,
              fmt::format("page {} entry {} (key '{}') has item type {:#04x}, which NVS does not define", page, i,
                          printable(item.key), entry[1]));
      summary.written_entries += 1;
      return 1;
    }
    summary.written_entries += used;
    items.push_back(std::move(item));
    return used;
  }

  // Strings and blob data: checks the span, that every data entry is written, and the data CRC.
  // Returns the entries the item occupies (0 when its span is not trustworthy); `usable` is false when a problem
  // was reported and the value must not be used.
  std::size_t read_variable_data(std::size_t page, std::size_t i, const std::uint8_t* entry, std::uint8_t span,
                                 RawItem& item, bool& usable) {
    usable = false;
    const std::size_t size = layout::load_u16(entry + 24);
    const std::size_t expected_span = 1 + (size + kEntrySize - 1) / kEntrySize;
    if (span != expected_span) {
      span_problem(page, i, item.key, span, expected_span);
      return 0;
    }
    if (i + span > kEntriesPerPage) {
      problem("truncated_span", page, i,
              fmt::format("page {} entry {} (key '{}'): {} bytes need {} entries but the page ends after {}", page, i,
                          printable(item.key), size, span, kEntriesPerPage - i));
      return 0;
    }
    for (std::size_t d = i + 1; d < i + span; ++d) {
      if (layout::entry_state(page_bytes(page), d) != layout::kEntryWritten) {
        problem("truncated_span", page, i,
                fmt::format("page {} entry {} (key '{}'): data entry {} of its span of {} is not marked written "
                            "(an interrupted write)",
                            page, i, printable(item.key), d, span));
        return 0;
      }
    }
    item.data.assign(entry + kEntrySize, entry + kEntrySize + size);
    const std::uint32_t stored = layout::load_u32(entry + 28);
    const std::uint32_t computed = crc32(item.data);
    if (stored != computed) {
      problem("data_crc", page, i,
              fmt::format("page {} entry {} (key '{}'): data CRC32 is {:#010x}, the {} data bytes give {:#010x}",
                          page, i, printable(item.key), stored, size, computed));
      return span;  // the span is sound, only the data is damaged; skip it whole
    }
    usable = true;
    if (item.type == ItemType::string && (item.data.empty() || item.data.back() != 0)) {
      problem("string_unterminated", page, i,
              fmt::format("page {} entry {} (key '{}'): the string's last byte is not NUL", page, i,
                          printable(item.key)));
    }
    return span;
  }

  void span_problem(std::size_t page, std::size_t i, const std::string& key, std::size_t span, std::size_t expected) {
    problem("span", page, i,
            fmt::format("page {} entry {} (key '{}'): span {} but its size needs {}", page, i, printable(key), span,
                        expected));
  }

 private:
  std::span<const std::uint8_t> image_;
  ReadReport& report_;
};

}  // namespace

ReadReport read_image(std::span<const std::uint8_t> image, const std::optional<XtsKeys>& keys) {
  ReadReport report;
  std::vector<std::uint8_t> decrypted;
  if (keys) {
    decrypted.assign(image.begin(), image.end() - static_cast<std::ptrdiff_t>(image.size() % kPageSize));
    decrypt_image(decrypted, *keys);
    decrypted.insert(decrypted.end(), image.end() - static_cast<std::ptrdiff_t>(image.size() % kPageSize),
                     image.end());
    image = decrypted;
  }
  ImageReader reader(image, report);
  auto items = reader.read_pages();
  detail::assemble_content(items, report);
  return report;
}

}  // namespace provision::nvs
