#include "fw/nvs_store.hpp"

#include <algorithm>
#include <cstring>

#include "fw/crc32.hpp"

namespace fw::nvs {
namespace {

constexpr std::uint8_t kMaxNamespaceIndex = 254;  // 255 means "any namespace" to nvs_flash
constexpr std::size_t kMaxBlobChunks = 127;      // chunk indices stay below the other version's start

std::size_t data_entries_for(std::size_t bytes) { return (bytes + kEntrySize - 1) / kEntrySize; }

}  // namespace

NvsStore::NvsStore(Platform& platform, std::uint32_t offset, std::uint32_t size)
    : platform_(platform), offset_(offset), size_(size - size % kPageSize) {}

bool NvsStore::load() {
  mirror_.assign(size_, 0xFF);
  if (!platform_.flash_read(offset_, mirror_.data(), mirror_.size())) return false;
  reparse();
  return erase_invalid_pages() && clean_page_entries() && finish_interrupted_compaction() &&
         close_extra_active_pages() && erase_duplicate_items() && erase_incomplete_blobs();
}

std::optional<std::string> NvsStore::get_string(const std::string& ns, const std::string& key) const {
  return image_.get_string(ns, key);
}

std::optional<std::string> NvsStore::get_blob(const std::string& ns, const std::string& key) const {
  return image_.get_blob(ns, key);
}

std::optional<std::uint8_t> NvsStore::get_u8(const std::string& ns, const std::string& key) const {
  const ItemRecord* item = image_.find(ns, key);
  if (!item || item->type != static_cast<std::uint8_t>(ItemType::u8)) return std::nullopt;
  return item->data[0];
}

bool NvsStore::set_u8(const std::string& ns, const std::string& key, std::uint8_t value) {
  if (get_u8(ns, key) == value) return true;
  auto index = ensure_namespace(ns);
  if (!index) return false;
  EntryHeader header;
  header.ns = *index;
  header.type = static_cast<std::uint8_t>(ItemType::u8);
  header.key = key;
  header.data[0] = value;
  return write_chain(header, {}, header.type) && erase_items(*index, key, true, std::nullopt);
}

bool NvsStore::set_string(const std::string& ns, const std::string& key, const std::string& value) {
  if (value.size() + 1 > kMaxStringBytes || value.find('\0') != std::string::npos) return false;
  if (get_string(ns, key) == value) return true;
  auto index = ensure_namespace(ns);
  if (!index) return false;
  EntryHeader header;
  header.ns = *index;
  header.type = static_cast<std::uint8_t>(ItemType::string);
  header.key = key;
  return write_chain(header, value + '\0', header.type) && erase_items(*index, key, true, std::nullopt);
}

bool NvsStore::set_blob(const std::string& ns, const std::string& key, const std::string& value) {
  if (value.size() > kMaxBlobChunks * kMaxBlobChunkBytes) return false;
  const ItemRecord* current = image_.find(ns, key);
  const bool is_v2 = current && current->type == static_cast<std::uint8_t>(ItemType::blob_index);
  if (is_v2 && get_blob(ns, key) == value) return true;
  auto index = ensure_namespace(ns);
  if (!index) return false;
  const std::uint8_t start = (is_v2 && current->data[5] == kBlobVersion0Start) ? kBlobVersion1Start
                                                                               : kBlobVersion0Start;
  // Leftover chunks of the version about to be written would be mistaken for the new ones.
  const std::uint8_t other = start == kBlobVersion0Start ? kBlobVersion1Start : kBlobVersion0Start;
  if (!erase_items(*index, key, true, other)) return false;
  std::size_t chunk_count = 0;
  std::size_t at = 0;
  do {
    const std::size_t piece = std::min(kMaxBlobChunkBytes, value.size() - at);
    EntryHeader header;
    header.ns = *index;
    header.type = static_cast<std::uint8_t>(ItemType::blob_data);
    header.chunk = static_cast<std::uint8_t>(start + chunk_count);
    header.key = key;
    if (!write_chain(header, value.substr(at, piece), header.type)) return false;
    at += piece;
    ++chunk_count;
  } while (at < value.size());
  EntryHeader index_entry;
  index_entry.ns = *index;
  index_entry.type = static_cast<std::uint8_t>(ItemType::blob_index);
  index_entry.key = key;
  write_u32(index_entry.data, static_cast<std::uint32_t>(value.size()));
  index_entry.data[4] = static_cast<std::uint8_t>(chunk_count);
  index_entry.data[5] = start;
  return write_chain(index_entry, {}, index_entry.type) && erase_items(*index, key, true, start);
}

bool NvsStore::erase_key(const std::string& ns, const std::string& key) {
  auto index = image_.namespace_index(ns);
  if (!index) return true;
  return erase_items(*index, key, false, std::nullopt);
}

bool NvsStore::erase_namespace(const std::string& ns) {
  auto index = image_.namespace_index(ns);
  if (!index) return true;
  std::vector<ItemRecord> doomed;
  for (const auto& item : image_.items()) {
    if (item.ns == *index) doomed.push_back(item);
  }
  for (const auto& item : doomed) {
    if (!set_entry_states(item.page, item.entry, item.span, EntryState::erased)) return false;
  }
  reparse();
  return true;
}

std::optional<std::uint8_t> NvsStore::ensure_namespace(const std::string& ns) {
  if (ns.empty() || ns.size() > kMaxKeyLength) return std::nullopt;
  if (auto index = image_.namespace_index(ns)) return index;
  std::uint8_t next = 1;
  for (const auto& [name, used] : image_.namespaces()) next = std::max<std::uint8_t>(next, used + 1);
  if (next > kMaxNamespaceIndex) return std::nullopt;
  EntryHeader header;
  header.ns = kNamespaceIndexNamespace;
  header.type = static_cast<std::uint8_t>(ItemType::u8);
  header.key = ns;
  header.data[0] = next;
  if (!write_chain(header, {}, header.type)) return std::nullopt;
  return next;
}

// Writes a header entry (plus the payload's data entries for strings and blob chunks) to a fresh slot.
bool NvsStore::write_chain(const EntryHeader& header, const std::string& payload, std::uint8_t type) {
  EntryHeader full = header;
  const std::size_t data_entries = has_data_entries(type) ? data_entries_for(payload.size()) : 0;
  full.span = static_cast<std::uint8_t>(1 + data_entries);
  if (has_data_entries(type)) {
    write_u16(full.data, static_cast<std::uint16_t>(payload.size()));
    write_u16(full.data + 2, 0xFFFF);
    write_u32(full.data + 4, nvs_crc32(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  }
  std::vector<std::uint8_t> entries(full.span * kEntrySize, 0xFF);
  encode_entry(full, entries.data());
  std::memcpy(entries.data() + kEntrySize, payload.data(), payload.size());
  auto slot = allocate(full.span);
  return slot && write_entries(*slot, entries);
}

bool NvsStore::write_entries(Slot slot, const std::vector<std::uint8_t>& entries) {
  const std::size_t at = slot.page * kPageSize + kFirstEntryOffset + slot.entry * kEntrySize;
  // Data first, then the bitmap: an entry is only valid once marked written.
  if (!write_bytes(at, entries.data(), entries.size())) return false;
  if (!set_entry_states(slot.page, slot.entry, entries.size() / kEntrySize, EntryState::written)) return false;
  reparse();
  return true;
}

bool NvsStore::set_entry_states(std::size_t page, std::size_t first, std::size_t count, EntryState state) {
  const std::uint8_t* page_bytes = mirror_.data() + page * kPageSize;
  std::uint8_t bitmap[32];
  std::memcpy(bitmap, page_bytes + kBitmapOffset, sizeof bitmap);
  std::uint8_t scratch[kFirstEntryOffset];
  for (std::size_t i = first; i < first + count; ++i) {
    std::memcpy(scratch + kBitmapOffset, bitmap, sizeof bitmap);
    bitmap[i / 4] = bitmap_byte_with(scratch, i, state);
  }
  const std::size_t from = first / 4;
  const std::size_t to = (first + count - 1) / 4 + 1;
  return write_bytes(page * kPageSize + kBitmapOffset + from, bitmap + from, to - from);
}

// Marks erased every item of `key` except, on request, the newest header and the blob chunks of one version.
bool NvsStore::erase_items(std::uint8_t ns, const std::string& key, bool keep_header,
                           std::optional<std::uint8_t> keep_chunks) {
  const auto& items = image_.items();
  std::optional<std::size_t> newest_header;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].ns == ns && items[i].key == key && items[i].type != static_cast<std::uint8_t>(ItemType::blob_data)) {
      newest_header = i;
    }
  }
  std::vector<ItemRecord> doomed;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const ItemRecord& item = items[i];
    if (item.ns != ns || item.key != key) continue;
    if (item.type == static_cast<std::uint8_t>(ItemType::blob_data)) {
      if (keep_chunks && (item.chunk & kBlobVersion1Start) == *keep_chunks) continue;
    } else if (keep_header && newest_header == i) {
      continue;
    }
    doomed.push_back(item);
  }
  for (const auto& item : doomed) {
    if (!set_entry_states(item.page, item.entry, item.span, EntryState::erased)) return false;
  }
  reparse();
  return true;
}

std::optional<NvsStore::Slot> NvsStore::allocate(std::size_t entries) {
  for (std::size_t attempt = 0; attempt <= image_.pages().size() + 1; ++attempt) {
    const PageInfo* active = nullptr;
    for (const auto& page : image_.pages()) {
      if (page.valid && page.state == PageState::active && (!active || page.seq > active->seq)) active = &page;
    }
    if (active && active->next_free + entries <= kEntriesPerPage) return Slot{active->index, active->next_free};
    if (active && !write_page_state(active->index, PageState::full)) return std::nullopt;
    reparse();
    if (!open_new_page()) return std::nullopt;
  }
  return std::nullopt;
}

bool NvsStore::open_new_page() {
  std::vector<std::size_t> empty;
  for (const auto& page : image_.pages()) {
    if (page.valid && page.state == PageState::empty) empty.push_back(page.index);
  }
  if (empty.size() == 1) return compact_into_spare();
  if (empty.empty()) return false;
  return write_page_header(empty.front(), PageState::active);
}

bool NvsStore::write_page_header(std::size_t page, PageState state) {
  std::uint8_t header[32];
  std::memset(header, 0xFF, sizeof header);
  write_u32(header, static_cast<std::uint32_t>(state));
  write_u32(header + 4, next_seq());
  header[8] = kFormatVersion2;
  write_u32(header + 28, header_crc(header));
  if (!write_bytes(page * kPageSize, header, sizeof header)) return false;
  reparse();
  return true;
}

// Moves the live entries of the page with the most erased entries to the spare page, then erases it; the erased
// page becomes the new spare.
bool NvsStore::compact_into_spare() {
  const PageInfo* victim = nullptr;
  std::size_t spare = 0;
  for (const auto& page : image_.pages()) {
    if (!page.valid) continue;
    if (page.state == PageState::empty) spare = page.index;
    const bool closed = page.state == PageState::full || page.state == PageState::freeing;
    if (closed && page.erased_count > 0 && (!victim || page.erased_count > victim->erased_count)) victim = &page;
  }
  if (!victim) return false;  // every entry is live: the partition is full
  const std::size_t from = victim->index;
  // FREEING first: a cut from here on is finished at the next load (finish_interrupted_compaction).
  return write_page_state(from, PageState::freeing) && write_page_header(spare, PageState::active) &&
         copy_items(from, spare);
}

// Copies the live items of page `from` to the start of the freshly opened page `to`, then erases `from`.
bool NvsStore::copy_items(std::size_t from, std::size_t to) {
  std::vector<ItemRecord> live;
  for (const auto& item : image_.items()) {
    if (item.page == from) live.push_back(item);
  }
  std::size_t next = 0;
  for (const auto& item : live) {
    const std::uint8_t* source = entry_at(mirror_.data() + from * kPageSize, item.entry);
    std::vector<std::uint8_t> entries(source, source + item.span * kEntrySize);
    if (!write_bytes(to * kPageSize + kFirstEntryOffset + next * kEntrySize, entries.data(), entries.size()) ||
        !set_entry_states(to, next, item.span, EntryState::written)) {
      return false;
    }
    next += item.span;
  }
  if (!erase_page(from)) return false;
  reparse();
  return true;
}

bool NvsStore::write_page_state(std::size_t page, PageState state) {
  std::uint8_t bytes[4];
  write_u32(bytes, static_cast<std::uint32_t>(state));
  if (!write_bytes(page * kPageSize, bytes, sizeof bytes)) return false;
  reparse();
  return true;
}

bool NvsStore::write_bytes(std::size_t partition_offset, const std::uint8_t* data, std::size_t length) {
  if (partition_offset + length > mirror_.size()) return false;
  if (!platform_.flash_write(static_cast<std::uint32_t>(offset_ + partition_offset), data, length)) return false;
  // NOR flash: a write only clears bits.
  for (std::size_t i = 0; i < length; ++i) mirror_[partition_offset + i] &= data[i];
  return true;
}

bool NvsStore::erase_page(std::size_t page) {
  if (!platform_.flash_erase(static_cast<std::uint32_t>(offset_ + page * kPageSize), kPageSize)) return false;
  std::fill_n(mirror_.begin() + static_cast<std::ptrdiff_t>(page * kPageSize), kPageSize, 0xFF);
  return true;
}

std::uint32_t NvsStore::next_seq() const {
  std::uint32_t next = 0;
  for (const auto& page : image_.pages()) {
    if (page.valid && page.state != PageState::empty) next = std::max(next, page.seq + 1);
  }
  return next;
}

void NvsStore::reparse() { image_ = NvsImage::parse(mirror_.data(), mirror_.size()); }

}  // namespace fw::nvs
