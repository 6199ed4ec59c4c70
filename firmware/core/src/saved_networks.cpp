#include "fw/saved_networks.hpp"

#include <algorithm>
#include <optional>

namespace fw {
namespace {

constexpr std::size_t kMaxSsidBytes = 32;
constexpr std::size_t kMinPassphrase = 8;
constexpr std::size_t kMaxPassphrase = 63;
constexpr std::size_t kRawPskHexDigits = 64;  // a 256-bit PSK written as hex instead of a passphrase

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string key_of(const char* prefix, std::size_t index) { return prefix + std::to_string(index); }

// The journal: per network one length byte and the SSID, one length byte and the password.
std::string encode_journal(const std::vector<SavedNetwork>& networks) {
  std::string out;
  for (const auto& network : networks) {
    out.push_back(static_cast<char>(network.ssid.size()));
    out += network.ssid;
    out.push_back(static_cast<char>(network.password.size()));
    out += network.password;
  }
  return out;
}

std::optional<std::vector<SavedNetwork>> decode_journal(const std::string& bytes) {
  std::vector<SavedNetwork> networks;
  std::size_t at = 0;
  auto field = [&](std::string& out) {
    if (at >= bytes.size()) return false;
    const std::size_t length = static_cast<unsigned char>(bytes[at++]);
    if (bytes.size() - at < length) return false;
    out = bytes.substr(at, length);
    at += length;
    return true;
  };
  while (at < bytes.size()) {
    SavedNetwork network;
    if (!field(network.ssid) || !field(network.password) || networks.size() == SavedNetworks::kMaxNetworks ||
        check_ssid(network.ssid) != Outcome::ok || check_password(network.password) != Outcome::ok) {
      return std::nullopt;
    }
    networks.push_back(std::move(network));
  }
  return networks;
}

bool keys_hold(const nvs::NvsStore& store, const std::vector<SavedNetwork>& networks) {
  if (store.get_u8(SavedNetworks::kNamespace, "count").value_or(0) != networks.size()) return false;
  for (std::size_t i = 0; i < networks.size(); ++i) {
    if (store.get_string(SavedNetworks::kNamespace, key_of("ssid", i)) != networks[i].ssid ||
        store.get_string(SavedNetworks::kNamespace, key_of("pass", i)) != networks[i].password) {
      return false;
    }
  }
  return true;
}

// Unchanged keys cost nothing (the store skips equal values); the count comes after the names, then the keys of
// networks no longer in the list go.
bool write_keys(nvs::NvsStore& store, const std::vector<SavedNetwork>& networks) {
  const char* ns = SavedNetworks::kNamespace;
  for (std::size_t i = 0; i < networks.size(); ++i) {
    if (!store.set_string(ns, key_of("ssid", i), networks[i].ssid) ||
        !store.set_string(ns, key_of("pass", i), networks[i].password)) {
      return false;
    }
  }
  if (!store.set_u8(ns, "count", static_cast<std::uint8_t>(networks.size()))) return false;
  for (std::size_t i = networks.size(); i < SavedNetworks::kMaxNetworks; ++i) {
    if (!store.erase_key(ns, key_of("ssid", i)) || !store.erase_key(ns, key_of("pass", i))) return false;
  }
  return true;
}

}  // namespace

const char* outcome_code(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok: return "ok";
    case Outcome::bad_argument: return "bad_argument";
    case Outcome::ssid_length: return "ssid_length";
    case Outcome::password_length: return "password_length";
    case Outcome::password_chars: return "password_chars";
    case Outcome::no_ssid: return "no_ssid";
    case Outcome::list_full: return "list_full";
    case Outcome::not_found: return "not_found";
    case Outcome::busy: return "busy";
    case Outcome::flash: return "flash";
  }
  return "unknown";
}

Outcome check_ssid(const std::string& ssid) {
  if (ssid.empty() || ssid.size() > kMaxSsidBytes) return Outcome::ssid_length;
  if (ssid.find('\0') != std::string::npos) return Outcome::bad_argument;
  return Outcome::ok;
}

Outcome check_password(const std::string& password) {
  if (password.empty()) return Outcome::ok;
  if (password.size() == kRawPskHexDigits) {
    return std::all_of(password.begin(), password.end(), is_hex_digit) ? Outcome::ok : Outcome::password_chars;
  }
  if (password.size() < kMinPassphrase || password.size() > kMaxPassphrase) return Outcome::password_length;
  const bool printable = std::all_of(password.begin(), password.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7E;
  });
  return printable ? Outcome::ok : Outcome::password_chars;
}

std::optional<std::size_t> SavedNetworks::find(const std::string& ssid) const {
  for (std::size_t i = 0; i < networks_.size(); ++i) {
    if (networks_[i].ssid == ssid) return i;
  }
  return std::nullopt;
}

Outcome SavedNetworks::add(const std::string& ssid, const std::string& password) {
  if (auto at = find(ssid)) {
    networks_[*at].password = password;
    return Outcome::ok;
  }
  if (networks_.size() >= kMaxNetworks) return Outcome::list_full;
  networks_.push_back({ssid, password});
  return Outcome::ok;
}

Outcome SavedNetworks::promote(const std::string& ssid, const std::string& password) {
  auto at = find(ssid);
  if (!at && networks_.size() >= kMaxNetworks) return Outcome::list_full;
  if (at) networks_.erase(networks_.begin() + static_cast<std::ptrdiff_t>(*at));
  networks_.insert(networks_.begin(), {ssid, password});
  return Outcome::ok;
}

Outcome SavedNetworks::remove(const std::string& ssid) {
  auto at = find(ssid);
  if (!at) return Outcome::not_found;
  networks_.erase(networks_.begin() + static_cast<std::ptrdiff_t>(*at));
  return Outcome::ok;
}

Outcome SavedNetworks::move(const std::string& ssid, std::size_t index) {
  auto at = find(ssid);
  if (!at) return Outcome::not_found;
  if (index >= networks_.size()) return Outcome::bad_argument;
  SavedNetwork network = networks_[*at];
  networks_.erase(networks_.begin() + static_cast<std::ptrdiff_t>(*at));
  networks_.insert(networks_.begin() + static_cast<std::ptrdiff_t>(index), std::move(network));
  return Outcome::ok;
}

bool SavedNetworks::load(nvs::NvsStore& store) {
  networks_.clear();
  if (auto journal = store.get_blob(kNamespace, kJournalKey)) {
    if (auto decoded = decode_journal(*journal)) {
      networks_ = std::move(*decoded);
      return save(store);
    }
  }
  const std::size_t count = std::min<std::size_t>(store.get_u8(kNamespace, "count").value_or(0), kMaxNetworks);
  for (std::size_t i = 0; i < count; ++i) {
    auto ssid = store.get_string(kNamespace, key_of("ssid", i));
    auto password = store.get_string(kNamespace, key_of("pass", i));
    if (!ssid || !password || check_ssid(*ssid) != Outcome::ok || check_password(*password) != Outcome::ok) continue;
    if (find(*ssid)) continue;
    networks_.push_back({*ssid, *password});
  }
  return true;
}

bool SavedNetworks::save(nvs::NvsStore& store) const {
  const bool unchanged = !store.get_blob(kNamespace, kJournalKey) && keys_hold(store, networks_);
  if (unchanged) return true;
  return store.set_blob(kNamespace, kJournalKey, encode_journal(networks_)) && write_keys(store, networks_) &&
         store.erase_key(kNamespace, kJournalKey);
}

bool SavedNetworks::erase(nvs::NvsStore& store) {
  return store.erase_key(kNamespace, kJournalKey) && store.erase_key(kNamespace, "count") &&
         store.erase_namespace(kNamespace);
}

}  // namespace fw
