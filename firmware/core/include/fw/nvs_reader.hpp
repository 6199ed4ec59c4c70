// Reads an NVS partition image (ESP-IDF format 2; format-1 blobs too) into its items. Pure: takes the bytes.
// Reads pages in every state a device leaves them (active, full, freeing) in sequence order, and only entries
// marked written whose CRCs match; a later item with the same namespace and key supersedes an earlier one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fw/nvs_format.hpp"

namespace fw::nvs {

struct PageInfo {
  std::size_t index = 0;  // position in the partition
  PageState state = PageState::empty;
  std::uint32_t seq = 0;
  bool valid = false;           // a known state with a matching header CRC (or empty)
  std::size_t next_free = 0;    // first entry after the last one used
  std::size_t erased_count = 0; // entries used and no longer live (erased, illegal, or failed CRC)
};

// One item as stored: its entry header fields, where it sits, and its payload.
struct ItemRecord {
  std::uint8_t ns = 0;
  std::uint8_t type = 0;
  std::uint8_t chunk = kNoChunk;
  std::string key;
  std::size_t page = 0;   // partition page index
  std::size_t entry = 0;  // first entry
  std::size_t span = 1;
  std::uint8_t data[8] = {};
  std::string payload;    // string/blob bytes (a string keeps its NUL)
};

class NvsImage {
 public:
  // An image whose size is not a whole number of pages is read up to its last whole page.
  static NvsImage parse(const std::uint8_t* bytes, std::size_t size);

  const std::vector<PageInfo>& pages() const { return pages_; }
  const std::vector<ItemRecord>& items() const { return items_; }  // every live entry chain, in write order
  std::optional<std::uint8_t> namespace_index(const std::string& name) const;
  const std::map<std::string, std::uint8_t>& namespaces() const { return namespaces_; }

  // Typed look-ups; empty when the key is missing or holds another type.
  std::optional<std::string> get_string(const std::string& ns, const std::string& key) const;  // without NUL
  std::optional<std::string> get_blob(const std::string& ns, const std::string& key) const;    // v2 or v1
  std::optional<std::uint64_t> get_unsigned(const std::string& ns, const std::string& key) const;
  std::optional<std::int64_t> get_signed(const std::string& ns, const std::string& key) const;
  // The latest item for a key (blob data chunks excluded), or null.
  const ItemRecord* find(const std::string& ns, const std::string& key) const;

 private:
  void read_page(const std::uint8_t* page, PageInfo& info);
  const ItemRecord* find_chunk(std::uint8_t ns, const std::string& key, std::uint8_t chunk) const;

  std::vector<PageInfo> pages_;
  std::vector<ItemRecord> items_;
  std::map<std::string, std::uint8_t> namespaces_;
};

struct EntryRange {
  std::size_t first = 0;
  std::size_t count = 1;
};
// The entries of one page that hold nothing readable and that nvs_flash would mark ERASED when it loads the page:
// programmed but never marked written (the cut came before the bitmap), marked written with a bad header CRC (a
// torn write, or a data entry whose header was erased first), a multi-entry item with any entry not written or
// with a bad data CRC (partly written or partly erased).
std::vector<EntryRange> unreadable_entries(const std::uint8_t* page);

// True when an image written in one go (the station's credentials partition) arrived whole: every page blank or
// valid, no unreadable entry, exactly one ACTIVE page, the newest, holding an item. A flash cut short fails it.
bool image_is_whole(const std::uint8_t* bytes, std::size_t size);

}  // namespace fw::nvs
