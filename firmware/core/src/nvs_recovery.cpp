// What NvsStore::load() repairs after a power cut, following what ESP-IDF's nvs_flash does when it initialises
// (Page::load / Page::mLoadEntryTable, PageManager::load, Storage::init in ESP-IDF v5.x): the cases below are the
// ones its comments name, each reached by cutting one of our own flash operations.
//
// Writes are ordered for it: an item's entries are programmed before their bitmap bits are set to WRITTEN, a new
// item is written before the old one is marked ERASED, a blob's chunks before its index, and a compaction marks
// the old page FREEING before it copies anything. Every repair is itself such a write, so a cut during the repair
// is repaired by the next load.
#include <algorithm>
#include <map>
#include <tuple>

#include "fw/nvs_store.hpp"

namespace fw::nvs {
namespace {

bool is_blob_data(const ItemRecord& item) {
  return item.type == static_cast<std::uint8_t>(ItemType::blob_data);
}
bool is_blob_index(const ItemRecord& item) {
  return item.type == static_cast<std::uint8_t>(ItemType::blob_index);
}

// ERASED entries that are not an item's header (torn bytes, a header-less data entry) but whose span byte claims
// following entries. Nothing in nvs_flash reads an erased entry, but a reader that walks entries by their span
// (Espressif's nvs_tool does) would take the items written after it for its data; zeroing the byte (it only
// clears bits) makes it one entry to every reader.
std::vector<std::size_t> erased_entries_with_torn_span(const std::uint8_t* page) {
  std::vector<std::size_t> torn;
  std::size_t i = 0;
  while (i < kEntriesPerPage) {  // walked as that reader walks: by the span byte, 0 and 0xFF counting as 1
    const std::uint8_t* entry = entry_at(page, i);
    const std::size_t span = (entry[2] == 0 || entry[2] == 0xFF) ? 1 : entry[2];
    if (span > 1 && entry_state(page, i) == EntryState::erased && read_u32(entry + 4) != entry_crc(entry)) {
      torn.push_back(i);
      ++i;
      continue;
    }
    i += span;
  }
  return torn;
}

}  // namespace

// A header with a bad CRC or an unknown state, or a blank header over written bytes (a cut erase), is a corrupt
// page to nvs_flash; it erases those before using them, we do it now.
bool NvsStore::erase_invalid_pages() {
  std::vector<std::size_t> invalid;
  for (const auto& page : image_.pages()) {
    if (!page.valid) invalid.push_back(page.index);
  }
  for (std::size_t page : invalid) {
    if (!erase_page(page)) return false;
  }
  reparse();
  return true;
}

bool NvsStore::clean_page_entries() {
  std::vector<std::size_t> used;
  for (const auto& page : image_.pages()) {
    if (page.valid && page.state != PageState::empty) used.push_back(page.index);
  }
  for (std::size_t p : used) {
    for (const EntryRange& range : unreadable_entries(mirror_.data() + p * kPageSize)) {
      if (!set_entry_states(p, range.first, range.count, EntryState::erased)) return false;
    }
    static constexpr std::uint8_t kZeroSpan = 0;
    for (std::size_t e : erased_entries_with_torn_span(mirror_.data() + p * kPageSize)) {
      if (!write_bytes(p * kPageSize + kFirstEntryOffset + e * kEntrySize + 2, &kZeroSpan, 1)) return false;
    }
  }
  reparse();
  return true;
}

// A page left FREEING: its items may be partly copied to the newest page, which is then ACTIVE. As
// PageManager::load does: erase that copy, copy again to a fresh page, erase the FREEING page.
bool NvsStore::finish_interrupted_compaction() {
  std::optional<std::size_t> freeing;
  const PageInfo* newest = nullptr;
  for (const auto& page : image_.pages()) {
    if (!page.valid || page.state == PageState::empty) continue;
    if (page.state == PageState::freeing && !freeing) freeing = page.index;
    if (!newest || page.seq > newest->seq) newest = &page;
  }
  if (!freeing) return true;
  if (newest && newest->index != *freeing && newest->state == PageState::active) {
    if (!erase_page(newest->index)) return false;
    reparse();
  }
  std::optional<std::size_t> target;
  for (const auto& page : image_.pages()) {
    if (page.valid && page.state == PageState::empty) target = page.index;
  }
  if (!target) return false;  // cannot happen: a FREEING page always has its spare
  return write_page_header(*target, PageState::active) && copy_items(*freeing, *target);
}

// Two ACTIVE pages can only come from an interrupted page switch: keep the newest one open.
bool NvsStore::close_extra_active_pages() {
  std::optional<std::size_t> newest;
  for (const auto& page : image_.pages()) {
    if (!page.valid || page.state != PageState::active) continue;
    if (newest && image_.pages()[*newest].seq > page.seq) {
      if (!write_page_state(page.index, PageState::full)) return false;
      continue;
    }
    if (newest && !write_page_state(*newest, PageState::full)) return false;
    newest = page.index;
  }
  reparse();
  return true;
}

// The cut came after a new item was written and before the old one was erased: the newest wins. nvs_flash checks
// only the last item written (the only one that can have a duplicate); checking every key gives the same result.
// As in its hash list, the type does not matter (a string replaced by a blob is the same key); blob chunks are
// told apart by their chunk index.
bool NvsStore::erase_duplicate_items() {
  std::map<std::tuple<std::uint8_t, std::string, std::uint8_t>, std::size_t> newest;
  const auto& items = image_.items();
  for (std::size_t i = 0; i < items.size(); ++i) {
    newest[{items[i].ns, items[i].key, is_blob_data(items[i]) ? items[i].chunk : kNoChunk}] = i;
  }
  std::vector<ItemRecord> doomed;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (newest[{items[i].ns, items[i].key, is_blob_data(items[i]) ? items[i].chunk : kNoChunk}] != i) {
      doomed.push_back(items[i]);
    }
  }
  return erase_item_records(doomed);
}

// A blob index whose chunks do not add up is erased (Storage::eraseMismatchedBlobIndexes), then every chunk that
// no index claims (written before a cut that came before its index, or left by the version replaced) is erased
// (Storage::eraseOrphanDataBlobs).
bool NvsStore::erase_incomplete_blobs() {
  std::vector<ItemRecord> doomed;
  for (const auto& index : image_.items()) {
    if (!is_blob_index(index)) continue;
    const std::uint32_t size = read_u32(index.data);
    const unsigned count = index.data[4];
    const unsigned start = index.data[5];
    std::uint64_t seen_size = 0;
    unsigned seen_chunks = 0;
    for (const auto& chunk : image_.items()) {
      if (is_blob_data(chunk) && chunk.ns == index.ns && chunk.key == index.key && chunk.chunk >= start &&
          chunk.chunk < start + count) {
        seen_size += chunk.payload.size();
        ++seen_chunks;
      }
    }
    if (seen_chunks != count || seen_size != size) doomed.push_back(index);
  }
  if (!erase_item_records(doomed)) return false;
  doomed.clear();
  for (const auto& chunk : image_.items()) {
    if (!is_blob_data(chunk)) continue;
    const bool claimed = std::any_of(image_.items().begin(), image_.items().end(), [&](const ItemRecord& index) {
      return is_blob_index(index) && index.ns == chunk.ns && index.key == chunk.key && chunk.chunk >= index.data[5] &&
             chunk.chunk < index.data[5] + index.data[4];
    });
    if (!claimed) doomed.push_back(chunk);
  }
  return erase_item_records(doomed);
}

bool NvsStore::erase_item_records(const std::vector<ItemRecord>& doomed) {
  for (const auto& item : doomed) {
    if (!set_entry_states(item.page, item.entry, item.span, EntryState::erased)) return false;
  }
  reparse();
  return true;
}

}  // namespace fw::nvs
