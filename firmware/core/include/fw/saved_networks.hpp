// The saved WiFi networks (seed 000): at most 8, index 0 = highest priority, persisted in NVS namespace
// `wifi_cfg` as `count`, `ssid0..7`, `pass0..7` (PROTOCOL.md §3). Also the WiFi limits checked on the device (§5.2).
// A change rewrites several keys; NVS makes only one item at a time safe from a power cut, so the new list is first
// written whole as one blob, `journal` (the commit point), then the keys, then the journal is erased. A boot that
// finds a journal applies it again: after a cut the list is the one before or the one after the change.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "fw/nvs_store.hpp"

namespace fw {

// The outcome of a device operation; every transport maps it to its own error (AT: PROTOCOL.md §5.3 codes).
enum class Outcome { ok, bad_argument, ssid_length, password_length, password_chars, no_ssid, list_full, not_found,
                     busy, flash };
const char* outcome_code(Outcome outcome);  // "ssid_length", ...

Outcome check_ssid(const std::string& ssid);          // 1..32 bytes, no NUL (NVS strings end at one)
Outcome check_password(const std::string& password);  // empty, 8..63 printable ASCII, or 64 hex digits

struct SavedNetwork {
  std::string ssid;
  std::string password;
};

class SavedNetworks {
 public:
  static constexpr std::size_t kMaxNetworks = 8;
  static constexpr const char* kNamespace = "wifi_cfg";
  static constexpr const char* kJournalKey = "journal";

  const std::vector<SavedNetwork>& list() const { return networks_; }
  std::optional<std::size_t> find(const std::string& ssid) const;

  // At the lowest priority; a saved SSID gets the new password and keeps its place.
  Outcome add(const std::string& ssid, const std::string& password);
  // To index 0 (after a successful connect), moving it if already saved.
  Outcome promote(const std::string& ssid, const std::string& password);
  Outcome remove(const std::string& ssid);
  Outcome move(const std::string& ssid, std::size_t index);  // bad_argument for an index >= count
  void clear() { networks_.clear(); }

  // Entries that fail the limits (a damaged or foreign NVS) are skipped. Finishes a change a cut interrupted
  // (writes to the store); false when that write fails (the list is still the one the journal holds).
  bool load(nvs::NvsStore& store);
  bool save(nvs::NvsStore& store) const;
  // Factory reset: the journal and `count` go first (an empty list from then on), then the other keys.
  static bool erase(nvs::NvsStore& store);

 private:
  std::vector<SavedNetwork> networks_;
};

}  // namespace fw
