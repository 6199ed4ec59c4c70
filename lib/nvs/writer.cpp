// The NVS writer: lays out pages exactly as Espressif's nvs_partition_gen does, so images are byte-identical.
// Placement rules (docs/nvs.md "Placement"): rows in order, pages filled in order, never going back.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "layout.hpp"
#include "provision/error.hpp"
#include "provision/nvs.hpp"

namespace provision::nvs {
namespace {

using Entry = std::array<std::uint8_t, kEntrySize>;

Entry make_entry_header(std::uint8_t namespace_index, layout::ItemType type, std::uint8_t span,
                        std::uint8_t chunk, std::string_view key) {
  Entry entry;
  entry.fill(0xFF);
  entry[0] = namespace_index;
  entry[1] = static_cast<std::uint8_t>(type);
  entry[2] = span;
  entry[3] = chunk;
  std::fill(entry.begin() + 8, entry.begin() + 24, std::uint8_t{0});
  std::memcpy(entry.data() + 8, key.data(), std::min(key.size(), kMaxNameLength));
  return entry;
}

void seal(Entry& entry) { layout::store_u32(entry.data() + 4, layout::entry_crc(entry.data())); }

std::size_t entries_for(std::size_t bytes) { return (bytes + kEntrySize - 1) / kEntrySize; }

// Writes entries into pages that are appended to the image as they are opened.
class PageWriter {
 public:
  PageWriter(std::vector<std::uint8_t>& image, FormatVersion version) : image_(image), version_(version) {
    open_page();
  }

  std::size_t used() const { return used_; }
  std::size_t pages_opened() const { return page_ + 1; }

  void open_page() {
    if (!image_.empty()) {
      std::uint8_t* header = image_.data() + page_ * kPageSize;
      if (layout::load_u32(header) == layout::kPageActive) layout::store_u32(header, layout::kPageFull);
      ++page_;
    }
    image_.resize((page_ + 1) * kPageSize, 0xFF);
    std::uint8_t* header = image_.data() + page_ * kPageSize;
    layout::store_u32(header, layout::kPageActive);
    layout::store_u32(header + 4, static_cast<std::uint32_t>(page_));
    header[8] = version_ == FormatVersion::v1 ? layout::kVersion1Byte : layout::kVersion2Byte;
    layout::store_u32(header + layout::kHeaderCrcOffset, layout::header_crc(header));
    used_ = 0;
  }

  // Appends one entry header plus `data` in the following entries (last one 0xFF-padded) on the current page.
  void put(const Entry& header, std::span<const std::uint8_t> data = {}) {
    const std::size_t count = 1 + entries_for(data.size());
    std::uint8_t* at = image_.data() + layout::entry_offset(page_, used_);
    std::memcpy(at, header.data(), kEntrySize);
    if (!data.empty()) std::memcpy(at + kEntrySize, data.data(), data.size());
    std::uint8_t* bitmap = image_.data() + page_ * kPageSize + layout::kBitmapOffset;
    for (std::size_t i = used_; i < used_ + count; ++i) {
      bitmap[i / 4] = static_cast<std::uint8_t>(bitmap[i / 4] & ~(1u << (2 * (i % 4))));  // 11 -> 10: written
    }
    used_ += count;
  }

 private:
  std::vector<std::uint8_t>& image_;
  FormatVersion version_;
  std::size_t page_ = 0;
  std::size_t used_ = 0;
};

void write_single_entry(PageWriter& pages, const Entry& entry) {
  if (pages.used() >= kEntriesPerPage) pages.open_page();
  pages.put(entry);
}

// Strings and format-1 blobs: one header + data on a single page. The generator keeps the item on the current
// page only if it leaves at least one entry free (used + n < 126); otherwise it opens a new page. On a fresh page
// an item of a whole page (up to 4000 bytes) is placed, as ESP-IDF accepts it (the generator fails there).
void write_single_page_item(PageWriter& pages, Entry header, std::span<const std::uint8_t> data) {
  const std::size_t count = 1 + entries_for(data.size());
  layout::store_u16(header.data() + 24, static_cast<std::uint16_t>(data.size()));
  layout::store_u32(header.data() + 28, crc32(data));
  header[2] = static_cast<std::uint8_t>(count);
  seal(header);
  if (pages.used() + count >= kEntriesPerPage && pages.used() > 0) pages.open_page();
  pages.put(header, data);
}

// Format-2 blobs: data chunks as large as the page's remainder, then the blob index (nvs_partition_gen's
// write_varlen_binary_data). A chunk gets min(remaining, (126 - used - 1) * 32) bytes; a new page follows a chunk
// when data remains or less than one entry is left.
void write_multi_page_blob(PageWriter& pages, std::uint8_t ns, std::string_view key,
                           std::span<const std::uint8_t> data) {
  if (pages.used() >= kEntriesPerPage) pages.open_page();
  std::size_t offset = 0;
  std::uint8_t chunk_count = 0;
  for (;;) {
    const std::size_t tailroom = (kEntriesPerPage - pages.used() - 1) * kEntrySize;
    const std::size_t chunk_size = std::min(data.size() - offset, tailroom);
    auto chunk = data.subspan(offset, chunk_size);
    Entry header = make_entry_header(ns, layout::ItemType::blob_data,
                                     static_cast<std::uint8_t>(1 + entries_for(chunk_size)), chunk_count, key);
    layout::store_u16(header.data() + 24, static_cast<std::uint16_t>(chunk_size));
    layout::store_u32(header.data() + 28, crc32(chunk));
    seal(header);
    pages.put(header, chunk);
    ++chunk_count;
    offset += chunk_size;
    const bool remaining = offset < data.size();
    if (remaining || tailroom - chunk_size < kEntrySize) pages.open_page();
    if (!remaining) break;
  }
  Entry index = make_entry_header(ns, layout::ItemType::blob_index, 1, layout::kChunkAny, key);
  layout::store_u32(index.data() + 24, static_cast<std::uint32_t>(data.size()));
  index[28] = chunk_count;
  index[29] = 0;  // chunk start: version 0 of the blob
  seal(index);
  pages.put(index);
}

void write_integer(PageWriter& pages, std::uint8_t ns, const Element& element) {
  const auto type = layout::item_type_of(element.value.type);
  Entry entry = make_entry_header(ns, type, 1, layout::kChunkAny, element.key);
  const int width = layout::integer_width_bytes(type);
  for (int i = 0; i < width; ++i) entry[24 + i] = static_cast<std::uint8_t>(element.value.bits >> (8 * i));
  seal(entry);
  write_single_entry(pages, entry);
}

void write_item(PageWriter& pages, std::uint8_t ns, const Element& element, FormatVersion version) {
  const auto& value = element.value;
  if (is_integer(value.type)) {
    write_integer(pages, ns, element);
  } else if (value.type == ValueType::string) {
    std::vector<std::uint8_t> data(value.bytes);
    data.push_back(0);
    write_single_page_item(pages, make_entry_header(ns, layout::ItemType::string, 0, layout::kChunkAny, element.key),
                           data);
  } else if (version == FormatVersion::v1) {
    write_single_page_item(pages, make_entry_header(ns, layout::ItemType::blob_v1, 0, layout::kChunkAny, element.key),
                           value.bytes);
  } else {
    write_multi_page_blob(pages, ns, element.key, value.bytes);
  }
}

void validate_partition_size(std::size_t size_bytes) {
  if (size_bytes % kPageSize != 0) {
    throw Error(ErrorCode::nvs_limit,
                fmt::format("partition size {:#x} ({} bytes) is not a multiple of the 4096-byte NVS page; use e.g. "
                            "{:#x}",
                            size_bytes, size_bytes, (size_bytes / kPageSize + 1) * kPageSize),
                "size");
  }
  if (size_bytes < kMinPartitionPages * kPageSize) {
    throw Error(ErrorCode::nvs_limit,
                fmt::format("partition size {:#x} is below the NVS minimum of {:#x} ({} pages: data pages plus one "
                            "kept free for garbage collection)",
                            size_bytes, kMinPartitionPages * kPageSize, kMinPartitionPages),
                "size");
  }
}

}  // namespace

std::vector<std::uint8_t> build_image(const Content& content, const BuildOptions& options) {
  validate_partition_size(options.size_bytes);
  validate(content, options.version);
  std::vector<std::uint8_t> image;
  image.reserve(options.size_bytes);
  PageWriter pages(image, options.version);
  std::vector<std::string_view> namespaces;
  for (const auto& element : content.elements()) {
    if (element.kind == Element::Kind::namespace_definition) {
      namespaces.push_back(element.namespace_name);
      Entry entry = make_entry_header(0, layout::ItemType::u8, 1, layout::kChunkAny, element.namespace_name);
      entry[24] = static_cast<std::uint8_t>(namespaces.size());
      seal(entry);
      write_single_entry(pages, entry);
      continue;
    }
    auto found = std::find(namespaces.begin(), namespaces.end(), element.namespace_name);
    if (found == namespaces.end()) {
      throw Error(ErrorCode::internal, fmt::format("key '{}' names namespace '{}' before it is declared",
                                                   element.key, element.namespace_name));
    }
    write_item(pages, static_cast<std::uint8_t>(found - namespaces.begin() + 1), element, options.version);
  }
  // The last page of a read/write partition stays erased: ESP-IDF needs one free page for garbage collection.
  const std::size_t data_pages = options.size_bytes / kPageSize - 1;
  if (pages.pages_opened() > data_pages) {
    throw Error(ErrorCode::nvs_limit,
                fmt::format("the content needs {} data pages but a {:#x}-byte partition has {} (its last page stays "
                            "free for garbage collection); use --size {:#x} or more",
                            pages.pages_opened(), options.size_bytes, data_pages,
                            (pages.pages_opened() + 1) * kPageSize),
                "size");
  }
  image.resize(options.size_bytes, 0xFF);
  if (options.keys) encrypt_image(image, *options.keys);
  return image;
}

}  // namespace provision::nvs
