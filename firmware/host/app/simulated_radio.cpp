#include "app/simulated_radio.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace sim {
namespace {

// A station reports "no AP found" after its all-channel scan (ESP-IDF: about 120 ms per channel, 13 channels).
constexpr auto kScanAllChannels = std::chrono::milliseconds(1500);

fw::WifiAuth auth_from_name(const std::string& name) {
  if (name == "open") return fw::WifiAuth::open;
  if (name == "wep") return fw::WifiAuth::wep;
  if (name == "wpa") return fw::WifiAuth::wpa;
  if (name == "wpa3") return fw::WifiAuth::wpa3;
  if (name == "wpa2_wpa3") return fw::WifiAuth::wpa2_wpa3;
  return fw::WifiAuth::wpa2;
}

bool is_hex_psk(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// WPA2 turns a passphrase into the 256-bit PSK with PBKDF2-HMAC-SHA1(passphrase, ssid, 4096) (IEEE 802.11i).
std::string psk_hex(const std::string& passphrase, const std::string& ssid) {
  unsigned char key[32];
  PKCS5_PBKDF2_HMAC_SHA1(passphrase.data(), static_cast<int>(passphrase.size()),
                         reinterpret_cast<const unsigned char*>(ssid.data()), static_cast<int>(ssid.size()), 4096,
                         sizeof key, key);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : key) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

SimulatedRadio::SimulatedRadio(const std::vector<AccessPoint>& access_points, int device_index, bool realistic_timing)
    : access_points_(access_points), device_index_(device_index), realistic_timing_(realistic_timing) {}

std::vector<fw::ScanResult> SimulatedRadio::scan() const {
  std::vector<fw::ScanResult> results;
  for (const auto& ap : access_points_) {
    results.push_back({ap.ssid, ap.rssi_dbm, auth_from_name(ap.auth), ap.channel});
  }
  std::stable_sort(results.begin(), results.end(),
                   [](const fw::ScanResult& a, const fw::ScanResult& b) { return a.rssi_dbm > b.rssi_dbm; });
  return results;
}

bool SimulatedRadio::password_matches(const AccessPoint& ap, const std::string& password) const {
  if (ap.auth == "open" || ap.password.empty()) return true;
  if (password == ap.password) return true;
  const std::string ap_psk = is_hex_psk(ap.password) ? lower(ap.password) : psk_hex(ap.password, ap.ssid);
  const std::string given_psk = is_hex_psk(password) ? lower(password) : psk_hex(password, ap.ssid);
  return ap_psk == given_psk;
}

void SimulatedRadio::schedule(Clock::time_point due, fw::WifiEvent event) {
  pending_.push_back({realistic_timing_ ? due : Clock::time_point{}, std::move(event)});
}

void SimulatedRadio::connect(const std::string& ssid, const std::string& password, Clock::time_point now) {
  pending_.clear();
  connected_ = false;
  fw::WifiEvent event;
  event.kind = fw::WifiEvent::Kind::failed;
  auto it = std::find_if(access_points_.begin(), access_points_.end(),
                         [&](const AccessPoint& ap) { return ap.ssid == ssid; });
  if (it == access_points_.end()) {
    event.failure = fw::WifiFailure::ap_not_found;
    schedule(now + kScanAllChannels, event);
    return;
  }
  const auto attempt = std::chrono::milliseconds(it->connect_ms);
  if (!it->answers) {
    event.failure = fw::WifiFailure::timeout;
  } else if (!password_matches(*it, password)) {
    event.failure = fw::WifiFailure::wrong_password;
  } else {
    event.kind = fw::WifiEvent::Kind::connected;
    event.ip = "192.168.4." + std::to_string(10 + device_index_ % 240);
    event.rssi_dbm = it->rssi_dbm;
  }
  schedule(now + attempt, event);
}

void SimulatedRadio::disconnect(Clock::time_point now) {
  pending_.clear();
  if (connected_) {
    fw::WifiEvent event;
    event.kind = fw::WifiEvent::Kind::disconnected;
    schedule(now, event);
  }
  connected_ = false;
}

std::optional<fw::WifiEvent> SimulatedRadio::take_due_event(Clock::time_point now) {
  if (pending_.empty() || pending_.front().due > now) return std::nullopt;
  fw::WifiEvent event = std::move(pending_.front().event);
  pending_.pop_front();
  if (event.kind == fw::WifiEvent::Kind::connected) connected_ = true;
  return event;
}

std::optional<SimulatedRadio::Clock::time_point> SimulatedRadio::next_event_time() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.front().due;
}

}  // namespace sim
