// Second half of the reader: raw entries -> content. Resolves namespace indices, assembles format-2 blobs from
// their chunks, and drops copies a device left on a FREEING page (garbage collection copies items before it
// erases the old page, so both may be present after a power loss).
#include <fmt/format.h>

#include <map>
#include <set>
#include <tuple>

#include "provision/error.hpp"
#include "raw_item.hpp"

namespace provision::nvs::detail {
namespace {

using layout::ItemType;
using ChunkKey = std::tuple<std::uint8_t, std::string, std::uint8_t>;  // namespace index, key, chunk index

void add_problem(ReadReport& report, const RawItem& item, std::string kind, std::string message) {
  report.problems.push_back(Problem{std::move(kind), item.page, item.entry, std::move(message)});
}

std::map<std::uint8_t, std::string> namespace_names(const std::vector<const RawItem*>& items, ReadReport& report) {
  std::map<std::uint8_t, std::string> names;
  for (const RawItem* item : items) {
    if (item->ns != 0) continue;
    const auto index = static_cast<std::uint8_t>(item->bits);
    if (item->type != ItemType::u8 || index == 0 || index == 0xFF) {
      add_problem(report, *item, "namespace_entry",
                  fmt::format("page {} entry {}: namespace '{}' must be a u8 entry with index 1..254", item->page,
                              item->entry, printable(item->key)));
      continue;
    }
    auto [it, inserted] = names.emplace(index, item->key);
    if (!inserted && it->second != item->key) {
      add_problem(report, *item, "namespace_entry",
                  fmt::format("page {} entry {}: namespace index {} names both '{}' and '{}'", item->page, item->entry,
                              index, printable(it->second), printable(item->key)));
    }
  }
  return names;
}

// Items still current: a FREEING page's copy of something also present elsewhere is superseded.
std::vector<const RawItem*> current_items(const std::vector<RawItem>& items) {
  std::set<ChunkKey> live;
  for (const auto& item : items) {
    if (!item.on_freeing_page) live.emplace(item.ns, item.key, item.chunk);
  }
  std::vector<const RawItem*> current;
  for (const auto& item : items) {
    if (item.on_freeing_page && live.count({item.ns, item.key, item.chunk})) continue;
    current.push_back(&item);
  }
  return current;
}

class BlobAssembler {
 public:
  BlobAssembler(const std::vector<const RawItem*>& items, ReadReport& report) : report_(report) {
    for (const RawItem* item : items) {
      if (item->type != ItemType::blob_data) continue;
      auto [it, inserted] = chunks_.emplace(ChunkKey{item->ns, item->key, item->chunk}, item);
      if (!inserted) {
        add_problem(report, *item, "duplicate_key",
                    fmt::format("page {} entry {}: blob '{}' chunk {} is written twice (also page {} entry {})",
                                item->page, item->entry, printable(item->key), item->chunk, it->second->page,
                                it->second->entry));
      }
    }
  }

  // Returns false (and reports why) when a chunk is missing or the sizes disagree.
  bool assemble(const RawItem& index, std::vector<std::uint8_t>& out) {
    out.clear();
    bool complete = true;
    for (unsigned c = index.chunk_start; c < static_cast<unsigned>(index.chunk_start) + index.chunk_count; ++c) {
      auto it = chunks_.find({index.ns, index.key, static_cast<std::uint8_t>(c)});
      if (it == chunks_.end()) {
        add_problem(report_, index, "blob_missing_chunk",
                    fmt::format("page {} entry {}: blob '{}' lists {} chunks from {} but chunk {} is missing",
                                index.page, index.entry, printable(index.key), index.chunk_count, index.chunk_start,
                                c));
        complete = false;
        continue;
      }
      used_.insert(it->first);
      out.insert(out.end(), it->second->data.begin(), it->second->data.end());
    }
    if (complete && out.size() != index.bits) {
      add_problem(report_, index, "blob_size",
                  fmt::format("page {} entry {}: blob '{}' index says {} bytes, its chunks hold {}", index.page,
                              index.entry, printable(index.key), index.bits, out.size()));
      complete = false;
    }
    return complete;
  }

  void report_orphans() {
    for (const auto& [key, item] : chunks_) {
      if (used_.count(key)) continue;
      add_problem(report_, *item, "orphan_blob_chunk",
                  fmt::format("page {} entry {}: chunk {} of blob '{}' belongs to no blob index (an interrupted "
                              "write or a damaged index)",
                              item->page, item->entry, item->chunk, printable(item->key)));
    }
  }

 private:
  ReadReport& report_;
  std::map<ChunkKey, const RawItem*> chunks_;
  std::set<ChunkKey> used_;
};

bool value_of(const RawItem& item, BlobAssembler& blobs, Value& value) {
  if (layout::is_integer_item(item.type)) {
    // Canonical form, as the CSV decoder makes it: signed types sign-extended, unsigned zero-extended.
    const auto type = layout::value_type_of(item.type);
    value = Value::unsigned_integer(type, item.bits);
    if (type == ValueType::i8 || type == ValueType::i16 || type == ValueType::i32 || type == ValueType::i64) {
      value = Value::integer(type, value.as_signed());
    }
    return true;
  }
  if (item.type == ItemType::string) {
    const std::size_t length = item.data.empty() ? 0 : item.data.size() - 1;
    value = Value::string(std::string_view(reinterpret_cast<const char*>(item.data.data()), length));
    return true;
  }
  if (item.type == ItemType::blob_v1) {
    value = Value::blob(item.data);
    return true;
  }
  std::vector<std::uint8_t> data;
  if (!blobs.assemble(item, data)) return false;
  value = Value::blob(data);
  return true;
}

}  // namespace

void assemble_content(std::vector<RawItem>& items, ReadReport& report) {
  const auto current = current_items(items);
  const auto names = namespace_names(current, report);
  BlobAssembler blobs(current, report);
  for (const RawItem* item : current) {
    if (item->ns == 0) {
      auto it = names.find(static_cast<std::uint8_t>(item->bits));
      if (it != names.end() && it->second == item->key) report.content.declare_namespace(item->key);
      continue;
    }
    if (item->type == ItemType::blob_data) continue;
    auto ns = names.find(item->ns);
    if (ns == names.end()) {
      add_problem(report, *item, "unknown_namespace",
                  fmt::format("page {} entry {}: key '{}' is in namespace index {}, which no namespace entry defines",
                              item->page, item->entry, printable(item->key), item->ns));
      continue;
    }
    Value value;
    if (!value_of(*item, blobs, value)) continue;
    try {
      report.content.add(ns->second, item->key, std::move(value));
    } catch (const Error&) {
      add_problem(report, *item, "duplicate_key",
                  fmt::format("page {} entry {}: key '{}' appears more than once in namespace '{}'", item->page,
                              item->entry, printable(item->key), printable(ns->second)));
    }
  }
  blobs.report_orphans();
}

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

}  // namespace provision::nvs::detail
