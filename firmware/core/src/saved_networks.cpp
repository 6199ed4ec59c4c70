#include "fw/saved_networks.hpp"

#include <algorithm>

namespace fw {
namespace {

constexpr std::size_t kMaxSsidBytes = 32;
constexpr std::size_t kMinPassphrase = 8;
constexpr std::size_t kMaxPassphrase = 63;
constexpr std::size_t kRawPskHexDigits = 64;  // a 256-bit PSK written as hex instead of a passphrase

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string key_of(const char* prefix, std::size_t index) { return prefix + std::to_string(index); }

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

void SavedNetworks::load(const nvs::NvsStore& store) {
  networks_.clear();
  const std::size_t count = std::min<std::size_t>(store.get_u8(kNamespace, "count").value_or(0), kMaxNetworks);
  for (std::size_t i = 0; i < count; ++i) {
    auto ssid = store.get_string(kNamespace, key_of("ssid", i));
    auto password = store.get_string(kNamespace, key_of("pass", i));
    if (!ssid || !password || check_ssid(*ssid) != Outcome::ok || check_password(*password) != Outcome::ok) continue;
    if (find(*ssid)) continue;
    networks_.push_back({*ssid, *password});
  }
}

bool SavedNetworks::save(nvs::NvsStore& store) const {
  // Unchanged keys cost nothing (the store skips equal values); the count is written last.
  for (std::size_t i = 0; i < networks_.size(); ++i) {
    if (!store.set_string(kNamespace, key_of("ssid", i), networks_[i].ssid) ||
        !store.set_string(kNamespace, key_of("pass", i), networks_[i].password)) {
      return false;
    }
  }
  if (!store.set_u8(kNamespace, "count", static_cast<std::uint8_t>(networks_.size()))) return false;
  for (std::size_t i = networks_.size(); i < kMaxNetworks; ++i) {
    if (!store.erase_key(kNamespace, key_of("ssid", i)) || !store.erase_key(kNamespace, key_of("pass", i))) {
      return false;
    }
  }
  return true;
}

}  // namespace fw
