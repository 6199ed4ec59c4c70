// The device operations every transport offers (AT console, Improv serial, later BLE): pending SSID/password,
// connect, saved networks, scan, status, PoP, factory reset. Transports are thin adapters that parse their own
// framing, call these and report results; WiFi results reach them through WifiListener.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "fw/device_identity.hpp"
#include "fw/nvs_store.hpp"
#include "fw/platform.hpp"
#include "fw/saved_networks.hpp"

namespace fw {

enum class WifiState { idle, connecting, connected, failed };
const char* wifi_state_name(WifiState state);  // "idle", ...
const char* wifi_failure_name(WifiFailure failure);

struct WifiStatus {
  WifiState state = WifiState::idle;
  std::string ssid;  // of the current or last attempt
  std::string ip = "0.0.0.0";
  int rssi_dbm = 0;
};

class WifiListener {
 public:
  virtual ~WifiListener() = default;
  virtual void on_wifi_connected(const std::string& ip, int rssi_dbm) = 0;
  virtual void on_wifi_failed(WifiFailure failure) = 0;
  virtual void on_wifi_disconnected() = 0;
};

class ProvisioningService {
 public:
  static constexpr std::uint64_t kAttemptTimeoutMs = 15000;

  // `store` is the device's own NVS, null when it is unusable (then nothing persists and saves fail with flash).
  ProvisioningService(Platform& platform, nvs::NvsStore* store, Credentials credentials, ProofOfPossession pop);

  void add_listener(WifiListener* listener) { listeners_.push_back(listener); }

  const Credentials& credentials() const { return credentials_; }
  const ProofOfPossession& pop() const { return pop_; }
  const std::vector<SavedNetwork>& saved_networks() const { return networks_.list(); }
  WifiStatus status() const { return status_; }
  const std::optional<std::string>& pending_ssid() const { return pending_ssid_; }

  Outcome set_pending_ssid(const std::string& ssid);
  Outcome set_pending_password(const std::string& password);
  // Starts an attempt with the pending SSID/password; on success the network is saved as network 0.
  Outcome connect_pending();
  // Saves the pending SSID/password as network 0 without connecting (BLE SAVE: the device restarts and connects
  // at boot); no_ssid without a pending SSID, list_full for a new network while 8 are saved.
  Outcome save_pending();
  // Sets both and connects, as one step (Improv).
  Outcome connect(const std::string& ssid, const std::string& password);
  Outcome select(const std::string& ssid);  // connects to a saved network now
  Outcome add_network(const std::string& ssid, const std::string& password);
  Outcome delete_network(const std::string& ssid);
  Outcome move_network(const std::string& ssid, std::size_t index);
  std::vector<ScanResult> scan();  // strongest first
  // Erases saved networks and WiFi settings, keeps PoP and credentials; the caller reboots after replying.
  Outcome factory_reset();

  // Boot: the saved networks in priority order, else the credentials' wifi_ssid (saved as network 0 on success).
  void start_auto_connect();
  void on_wifi_event(const WifiEvent& event);
  void poll();

 private:
  struct Attempt {
    std::string ssid;
    std::string password;
    bool save_on_success = false;
    bool user_requested = false;
  };

  Outcome start_attempt(Attempt attempt);
  void begin(Attempt attempt);
  void finish_failed(WifiFailure failure);
  Outcome persist();
  Outcome persist_or_revert(const SavedNetworks& before);

  Platform& platform_;
  nvs::NvsStore* store_;
  Credentials credentials_;
  ProofOfPossession pop_;
  SavedNetworks networks_;
  std::optional<std::string> pending_ssid_;
  std::string pending_password_;
  WifiStatus status_;
  std::optional<Attempt> attempt_;
  std::uint64_t attempt_deadline_ms_ = 0;
  std::deque<Attempt> auto_candidates_;
  std::vector<WifiListener*> listeners_;
};

}  // namespace fw
