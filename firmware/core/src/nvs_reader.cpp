#include "fw/nvs_reader.hpp"

#include <algorithm>
#include <cstring>

#include "fw/crc32.hpp"

namespace fw::nvs {
namespace {

bool is_known_state(std::uint32_t state) {
  switch (static_cast<PageState>(state)) {
    case PageState::active: case PageState::full: case PageState::freeing:
      return true;
    default:
      return false;
  }
}

bool all_erased(const std::uint8_t* bytes, std::size_t length) {
  return std::all_of(bytes, bytes + length, [](std::uint8_t b) { return b == 0xFF; });
}

// The data entries of a string or blob chunk, if their CRC matches the header.
std::optional<std::string> read_payload(const std::uint8_t* page, std::size_t first, std::size_t span,
                                        const std::uint8_t* header) {
  const std::size_t size = read_u16(header + 24);
  if (size > (span - 1) * kEntrySize) return std::nullopt;
  const std::uint8_t* data = entry_at(page, first + 1);
  if (nvs_crc32(data, size) != read_u32(header + 28)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A written header whose data entries are all written and match the data CRC it carries.
bool variable_item_complete(const std::uint8_t* page, std::size_t first, std::size_t span) {
  for (std::size_t j = first + 1; j < first + span; ++j) {
    if (entry_state(page, j) != EntryState::written) return false;
  }
  const std::uint8_t* header = entry_at(page, first);
  const std::size_t size = read_u16(header + 24);
  if (size > (span - 1) * kEntrySize) return false;
  return nvs_crc32(entry_at(page, first + 1), size) == read_u32(header + 28);
}

}  // namespace

std::vector<EntryRange> unreadable_entries(const std::uint8_t* page) {
  std::vector<EntryRange> doomed;
  std::size_t i = 0;
  while (i < kEntriesPerPage) {
    const EntryState state = entry_state(page, i);
    const std::uint8_t* entry = entry_at(page, i);
    if (state == EntryState::erased) {
      ++i;
      continue;
    }
    if (state == EntryState::empty || state == EntryState::illegal) {
      // EMPTY but not blank: programmed, then the cut came before its bitmap bits (nvs_flash: "half-written").
      if (state == EntryState::illegal || !all_erased(entry, kEntrySize)) doomed.push_back({i, 1});
      ++i;
      continue;
    }
    const std::size_t span = entry[2];
    const bool header_ok = read_u32(entry + 4) == entry_crc(entry) && span != 0 && i + span <= kEntriesPerPage;
    if (!header_ok || (!has_data_entries(entry[1]) && span != 1)) {
      // A torn header, or a data entry left WRITTEN when its header was erased first: one entry at a time.
      doomed.push_back({i, 1});
      ++i;
      continue;
    }
    if (has_data_entries(entry[1]) && !variable_item_complete(page, i, span)) {
      // Partly written (bitmap cut) or partly erased: the whole item goes, as nvs_flash's eraseEntryAndSpan.
      doomed.push_back({i, span});
    }
    i += span;
  }
  return doomed;
}


bool image_is_whole(const std::uint8_t* bytes, std::size_t size) {
  const NvsImage image = NvsImage::parse(bytes, size);
  const PageInfo* newest = nullptr;
  std::size_t active = 0;
  for (const auto& page : image.pages()) {
    if (!page.valid) return false;
    if (page.state == PageState::empty) continue;
    if (!unreadable_entries(bytes + page.index * kPageSize).empty()) return false;
    if (page.state == PageState::active) ++active;
    if (!newest || page.seq > newest->seq) newest = &page;
  }
  if (!newest || active != 1 || newest->state != PageState::active) return false;
  // A writer in one go opens a page for an item that did not fit the last one: an empty newest page is a cut that
  // came between its header and its bitmap.
  return std::any_of(image.items().begin(), image.items().end(),
                     [&](const ItemRecord& item) { return item.page == newest->index; });
}

NvsImage NvsImage::parse(const std::uint8_t* bytes, std::size_t size) {
  NvsImage image;
  const std::size_t page_count = size / kPageSize;
  for (std::size_t p = 0; p < page_count; ++p) {
    const std::uint8_t* page = bytes + p * kPageSize;
    PageInfo info;
    info.index = p;
    info.state = static_cast<PageState>(read_u32(page));
    info.seq = read_u32(page + 4);
    if (info.state == PageState::empty) {
      info.valid = all_erased(page, kPageSize);
    } else {
      info.valid = is_known_state(read_u32(page)) && header_crc(page) == read_u32(page + 28);
    }
    image.pages_.push_back(info);
  }
  std::vector<std::size_t> order;
  for (const auto& info : image.pages_) {
    if (info.valid && info.state != PageState::empty) order.push_back(info.index);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return image.pages_[a].seq < image.pages_[b].seq; });
  for (std::size_t p : order) image.read_page(bytes + p * kPageSize, image.pages_[p]);
  for (const auto& item : image.items_) {
    if (item.ns == kNamespaceIndexNamespace && item.type == static_cast<std::uint8_t>(ItemType::u8)) {
      image.namespaces_[item.key] = item.data[0];
    }
  }
  return image;
}

void NvsImage::read_page(const std::uint8_t* page, PageInfo& info) {
  std::size_t i = 0;
  while (i < kEntriesPerPage) {
    const EntryState state = entry_state(page, i);
    const std::uint8_t* entry = entry_at(page, i);
    if (state == EntryState::empty) {
      // An entry written but not yet marked (power lost in between) counts as used, as nvs_flash does.
      if (!all_erased(entry, kEntrySize)) {
        ++info.erased_count;
        info.next_free = i + 1;
      }
      ++i;
      continue;
    }
    info.next_free = i + 1;
    const std::size_t span = entry[2];
    const bool crc_ok = read_u32(entry + 4) == entry_crc(entry);
    if (state != EntryState::written || !crc_ok || span == 0 || i + span > kEntriesPerPage) {
      ++info.erased_count;
      ++i;
      continue;
    }
    ItemRecord item;
    item.ns = entry[0];
    item.type = entry[1];
    item.chunk = entry[3];
    item.key = entry_key(entry);
    item.page = info.index;
    item.entry = i;
    item.span = span;
    std::memcpy(item.data, entry + 24, 8);
    bool keep = true;
    if (has_data_entries(item.type)) {
      auto payload = read_payload(page, i, span, entry);
      keep = payload.has_value();
      if (payload) item.payload = std::move(*payload);
    } else if (span != 1) {
      keep = false;
    }
    if (keep) {
      items_.push_back(std::move(item));
      info.next_free = i + span;
      i += span;
    } else {
      ++info.erased_count;
      ++i;
    }
  }
}

std::optional<std::uint8_t> NvsImage::namespace_index(const std::string& name) const {
  auto it = namespaces_.find(name);
  if (it == namespaces_.end()) return std::nullopt;
  return it->second;
}

const ItemRecord* NvsImage::find(const std::string& ns, const std::string& key) const {
  auto index = namespace_index(ns);
  if (!index) return nullptr;
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (it->ns == *index && it->key == key && it->type != static_cast<std::uint8_t>(ItemType::blob_data)) {
      return &*it;
    }
  }
  return nullptr;
}

const ItemRecord* NvsImage::find_chunk(std::uint8_t ns, const std::string& key, std::uint8_t chunk) const {
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (it->ns == ns && it->key == key && it->chunk == chunk &&
        it->type == static_cast<std::uint8_t>(ItemType::blob_data)) {
      return &*it;
    }
  }
  return nullptr;
}

std::optional<std::string> NvsImage::get_string(const std::string& ns, const std::string& key) const {
  const ItemRecord* item = find(ns, key);
  if (!item || item->type != static_cast<std::uint8_t>(ItemType::string)) return std::nullopt;
  std::string value = item->payload;
  if (!value.empty() && value.back() == '\0') value.pop_back();
  return value;
}

std::optional<std::string> NvsImage::get_blob(const std::string& ns, const std::string& key) const {
  const ItemRecord* item = find(ns, key);
  if (!item) return std::nullopt;
  if (item->type == static_cast<std::uint8_t>(ItemType::blob_v1)) return item->payload;
  if (item->type != static_cast<std::uint8_t>(ItemType::blob_index)) return std::nullopt;
  const std::uint32_t total = read_u32(item->data);
  const unsigned count = item->data[4];
  const unsigned start = item->data[5];
  std::string value;
  for (unsigned c = 0; c < count; ++c) {
    const ItemRecord* chunk = find_chunk(item->ns, key, static_cast<std::uint8_t>(start + c));
    if (!chunk) return std::nullopt;
    value += chunk->payload;
  }
  if (value.size() != total) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> NvsImage::get_unsigned(const std::string& ns, const std::string& key) const {
  const ItemRecord* item = find(ns, key);
  if (!item || !is_integer_type(item->type) || (item->type & 0x10U)) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t b = 0; b < integer_width(item->type); ++b) value |= std::uint64_t{item->data[b]} << (8 * b);
  return value;
}

std::optional<std::int64_t> NvsImage::get_signed(const std::string& ns, const std::string& key) const {
  const ItemRecord* item = find(ns, key);
  if (!item || !is_integer_type(item->type) || !(item->type & 0x10U)) return std::nullopt;
  const std::size_t width = integer_width(item->type);
  std::uint64_t raw = 0;
  for (std::size_t b = 0; b < width; ++b) raw |= std::uint64_t{item->data[b]} << (8 * b);
  if (width < 8 && (raw >> (8 * width - 1)) & 1U) raw |= ~std::uint64_t{0} << (8 * width);  // sign-extend
  return static_cast<std::int64_t>(raw);
}

}  // namespace fw::nvs
