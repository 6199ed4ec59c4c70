#include "fw/provisioning_service.hpp"

#include <algorithm>

namespace fw {

const char* wifi_state_name(WifiState state) {
  switch (state) {
    case WifiState::idle: return "idle";
    case WifiState::connecting: return "connecting";
    case WifiState::connected: return "connected";
    case WifiState::failed: return "failed";
  }
  return "idle";
}

const char* wifi_failure_name(WifiFailure failure) {
  switch (failure) {
    case WifiFailure::wrong_password: return "wrong_password";
    case WifiFailure::ap_not_found: return "ap_not_found";
    case WifiFailure::timeout: return "timeout";
    case WifiFailure::other: return "other";
  }
  return "other";
}

ProvisioningService::ProvisioningService(Platform& platform, nvs::NvsStore* store, Credentials credentials,
                                         ProofOfPossession pop)
    : platform_(platform), store_(store), credentials_(std::move(credentials)), pop_(pop) {
  if (store_) networks_.load(*store_);
}

Outcome ProvisioningService::set_pending_ssid(const std::string& ssid) {
  const Outcome check = check_ssid(ssid);
  if (check == Outcome::ok) pending_ssid_ = ssid;
  return check;
}

Outcome ProvisioningService::set_pending_password(const std::string& password) {
  const Outcome check = check_password(password);
  if (check == Outcome::ok) pending_password_ = password;
  return check;
}

Outcome ProvisioningService::connect_pending() {
  if (!pending_ssid_) return Outcome::no_ssid;
  return start_attempt({*pending_ssid_, pending_password_, true, true});
}

Outcome ProvisioningService::save_pending() {
  if (!pending_ssid_) return Outcome::no_ssid;
  const SavedNetworks before = networks_;
  if (Outcome outcome = networks_.promote(*pending_ssid_, pending_password_); outcome != Outcome::ok) return outcome;
  return persist_or_revert(before);
}

Outcome ProvisioningService::connect(const std::string& ssid, const std::string& password) {
  if (Outcome check = check_ssid(ssid); check != Outcome::ok) return check;
  if (Outcome check = check_password(password); check != Outcome::ok) return check;
  if (attempt_ && attempt_->user_requested) return Outcome::busy;
  pending_ssid_ = ssid;
  pending_password_ = password;
  return connect_pending();
}

Outcome ProvisioningService::select(const std::string& ssid) {
  auto at = networks_.find(ssid);
  if (!at) return Outcome::not_found;
  const SavedNetwork& network = networks_.list()[*at];
  return start_attempt({network.ssid, network.password, false, true});
}

Outcome ProvisioningService::add_network(const std::string& ssid, const std::string& password) {
  if (Outcome check = check_ssid(ssid); check != Outcome::ok) return check;
  if (Outcome check = check_password(password); check != Outcome::ok) return check;
  const SavedNetworks before = networks_;
  if (Outcome outcome = networks_.add(ssid, password); outcome != Outcome::ok) return outcome;
  return persist_or_revert(before);
}

Outcome ProvisioningService::delete_network(const std::string& ssid) {
  const SavedNetworks before = networks_;
  if (Outcome outcome = networks_.remove(ssid); outcome != Outcome::ok) return outcome;
  return persist_or_revert(before);
}

Outcome ProvisioningService::move_network(const std::string& ssid, std::size_t index) {
  const SavedNetworks before = networks_;
  if (Outcome outcome = networks_.move(ssid, index); outcome != Outcome::ok) return outcome;
  return persist_or_revert(before);
}

std::vector<ScanResult> ProvisioningService::scan() {
  auto results = platform_.wifi_scan();
  std::stable_sort(results.begin(), results.end(),
                   [](const ScanResult& a, const ScanResult& b) { return a.rssi_dbm > b.rssi_dbm; });
  return results;
}

Outcome ProvisioningService::factory_reset() {
  if (attempt_ || status_.state == WifiState::connected) platform_.wifi_disconnect();
  attempt_.reset();
  auto_candidates_.clear();
  networks_.clear();
  pending_ssid_.reset();
  pending_password_.clear();
  status_ = WifiStatus{};
  if (!store_ || !SavedNetworks::erase(*store_)) return Outcome::flash;
  return Outcome::ok;
}

void ProvisioningService::start_auto_connect() {
  auto_candidates_.clear();
  for (const auto& network : networks_.list()) auto_candidates_.push_back({network.ssid, network.password, false, false});
  const auto& prov_ssid = credentials_.wifi_ssid;
  if (auto_candidates_.empty() && prov_ssid && check_ssid(*prov_ssid) == Outcome::ok &&
      check_password(credentials_.wifi_password) == Outcome::ok) {
    auto_candidates_.push_back({*prov_ssid, credentials_.wifi_password, true, false});
  }
  if (auto_candidates_.empty()) return;
  Attempt first = auto_candidates_.front();
  auto_candidates_.pop_front();
  begin(std::move(first));
}

// A user's attempt replaces an automatic one (boot retries) but not another user's attempt.
Outcome ProvisioningService::start_attempt(Attempt attempt) {
  if (attempt_ && attempt_->user_requested) return Outcome::busy;
  if (attempt.save_on_success && !networks_.find(attempt.ssid) &&
      networks_.list().size() >= SavedNetworks::kMaxNetworks) {
    return Outcome::list_full;
  }
  auto_candidates_.clear();
  begin(std::move(attempt));
  return Outcome::ok;
}

void ProvisioningService::begin(Attempt attempt) {
  if (attempt_ || status_.state == WifiState::connected) platform_.wifi_disconnect();
  status_ = WifiStatus{WifiState::connecting, attempt.ssid, "0.0.0.0", 0};
  attempt_deadline_ms_ = platform_.now_ms() + kAttemptTimeoutMs;
  const std::string ssid = attempt.ssid;
  const std::string password = attempt.password;
  attempt_ = std::move(attempt);
  platform_.wifi_connect(ssid, password);
}

void ProvisioningService::on_wifi_event(const WifiEvent& event) {
  switch (event.kind) {
    case WifiEvent::Kind::connected: {
      status_.state = WifiState::connected;
      status_.ip = event.ip;
      status_.rssi_dbm = event.rssi_dbm;
      if (attempt_ && attempt_->save_on_success) {
        // A full list was refused before connecting; a failed write leaves the network unsaved but connected.
        if (networks_.promote(attempt_->ssid, attempt_->password) == Outcome::ok) persist();
      }
      attempt_.reset();
      auto_candidates_.clear();
      for (auto* listener : listeners_) listener->on_wifi_connected(event.ip, event.rssi_dbm);
      break;
    }
    case WifiEvent::Kind::failed:
      if (attempt_) finish_failed(event.failure);
      break;
    case WifiEvent::Kind::disconnected:
      if (status_.state != WifiState::connected) break;
      status_.state = WifiState::idle;
      status_.ip = "0.0.0.0";
      status_.rssi_dbm = 0;
      for (auto* listener : listeners_) listener->on_wifi_disconnected();
      break;
  }
}

void ProvisioningService::poll() {
  if (attempt_ && platform_.now_ms() >= attempt_deadline_ms_) {
    platform_.wifi_disconnect();
    finish_failed(WifiFailure::timeout);
  }
}

void ProvisioningService::finish_failed(WifiFailure failure) {
  attempt_.reset();
  status_.state = WifiState::failed;
  status_.ip = "0.0.0.0";
  status_.rssi_dbm = 0;
  for (auto* listener : listeners_) listener->on_wifi_failed(failure);
  if (!auto_candidates_.empty() && !attempt_) {
    Attempt next = auto_candidates_.front();
    auto_candidates_.pop_front();
    begin(std::move(next));
  }
}

// A list the flash refused is not kept either, so what AT+WIFI_LIST? shows is what the next boot loads.
Outcome ProvisioningService::persist_or_revert(const SavedNetworks& before) {
  const Outcome outcome = persist();
  if (outcome != Outcome::ok) networks_ = before;
  return outcome;
}

Outcome ProvisioningService::persist() {
  if (!store_ || !networks_.save(*store_)) return Outcome::flash;
  return Outcome::ok;
}

}  // namespace fw
