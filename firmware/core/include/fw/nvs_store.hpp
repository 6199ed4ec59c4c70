// The device's own NVS partition, read and written in ESP-IDF's format 2 on raw NOR flash. Keeps a copy of the
// partition in RAM (it is small: 0x6000 here) so reads need no flash access, and writes through every change:
// new entries go to the active page, superseded ones are marked erased in the bitmap, a full page is closed and a
// new one opened, and when only the spare page is left the page with the most erased entries is compacted into it
// (nvs_flash keeps one page free for the same purpose).
//
// Power cuts: every change is ordered so that a cut at any flash operation leaves either the old or the new value
// of the key being written, and load() finishes or undoes what a cut interrupted the way nvs_flash does at init
// (nvs_recovery.cpp): half-written entries, partly written or partly erased multi-entry items, a duplicate key
// (the new item written, the old one not yet erased), a page left FREEING by an interrupted compaction, blob
// chunks without their index.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fw/nvs_reader.hpp"
#include "fw/platform.hpp"

namespace fw::nvs {

class NvsStore {
 public:
  NvsStore(Platform& platform, std::uint32_t offset, std::uint32_t size);

  // Reads the partition and repairs what a power cut left (see above); pages that are neither empty nor valid NVS
  // pages are erased. False on a flash error.
  bool load();

  const NvsImage& image() const { return image_; }
  std::optional<std::string> get_string(const std::string& ns, const std::string& key) const;
  std::optional<std::string> get_blob(const std::string& ns, const std::string& key) const;
  std::optional<std::uint8_t> get_u8(const std::string& ns, const std::string& key) const;

  // Each returns false when the flash fails or the partition is out of space. Writing the value a key already
  // holds writes nothing.
  bool set_u8(const std::string& ns, const std::string& key, std::uint8_t value);
  bool set_string(const std::string& ns, const std::string& key, const std::string& value);
  bool set_blob(const std::string& ns, const std::string& key, const std::string& value);
  bool erase_key(const std::string& ns, const std::string& key);
  bool erase_namespace(const std::string& ns);  // its keys; the namespace entry stays, as in nvs_flash

 private:
  struct Slot {
    std::size_t page = 0;
    std::size_t entry = 0;
  };

  std::optional<std::uint8_t> ensure_namespace(const std::string& ns);
  std::optional<Slot> allocate(std::size_t entries);
  bool open_new_page();
  bool compact_into_spare();
  bool copy_items(std::size_t from, std::size_t to);
  bool write_page_header(std::size_t page, PageState state);
  // Recovery at load (nvs_recovery.cpp), in this order.
  bool erase_invalid_pages();
  bool clean_page_entries();
  bool finish_interrupted_compaction();
  bool close_extra_active_pages();
  bool erase_duplicate_items();
  bool erase_incomplete_blobs();
  bool erase_item_records(const std::vector<ItemRecord>& doomed);
  bool write_chain(const EntryHeader& header, const std::string& payload, std::uint8_t type);
  bool write_entries(Slot slot, const std::vector<std::uint8_t>& entries);
  bool set_entry_states(std::size_t page, std::size_t first, std::size_t count, EntryState state);
  bool erase_items(std::uint8_t ns, const std::string& key, bool keep_header, std::optional<std::uint8_t> keep_chunks);
  bool write_page_state(std::size_t page, PageState state);
  bool write_bytes(std::size_t partition_offset, const std::uint8_t* data, std::size_t length);
  bool erase_page(std::size_t page);
  std::uint32_t next_seq() const;
  void reparse();

  Platform& platform_;
  std::uint32_t offset_;
  std::uint32_t size_;
  std::vector<std::uint8_t> mirror_;
  NvsImage image_;
};

}  // namespace fw::nvs
