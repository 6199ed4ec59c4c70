// The device's MQTT session (PROTOCOL.md §8): once WiFi is up it connects to the broker named in the credentials
// partition with its own certificate, publishes a birth message on its telemetry topic, subscribes to its cmd topic
// and answers `ping`, `factory_reset` and `claim`. `AT+MQTT?` reports its state. Runs on the core's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fw/firmware.hpp"
#include "fw/mqtt_client.hpp"
#include "fw/nvs_store.hpp"
#include "fw/partition_table.hpp"
#include "fw/platform.hpp"
#include "fw/provisioning_service.hpp"

namespace fw {

// What the credentials partition holds for MQTT (PROTOCOL.md §2): empty strings when absent.
struct MqttSettings {
  std::string url;          // mqtt_url
  std::string ca_cert;      // ca_cert
  std::string device_cert;  // device_cert
  std::string device_key;   // device_key
  std::string customer_id;  // cust_id (factory assignment), else the claim, else "unclaimed"
  std::string location_id;  // loc_id, else the claim, else "factory"
};
MqttSettings read_mqtt_settings(Platform& platform, const Partition& partition, const std::string& ns);

// Own NVS: namespace `mqtt`, keys `cust_id`/`loc_id` (a claim received on cmd) and `unbind` (u8, one-shot: the
// boot after a factory_reset on cmd waits for provisioning instead of joining prov's wifi_ssid).
constexpr const char* kMqttNamespace = "mqtt";
constexpr const char* kMqttUnbindKey = "unbind";

enum class MqttState { off, idle, connecting, connected, failed };
const char* mqtt_state_name(MqttState state);  // "off" (no broker configured), "idle", ...

class MqttService : public WifiListener {
 public:
  static constexpr std::uint64_t kConnectTimeoutMs = 15000;
  static constexpr std::uint64_t kRetryDelayMs = 5000;

  MqttService(Platform& platform, ProvisioningService& service, nvs::NvsStore* store, MqttSettings settings,
              FirmwareInfo info);
  ~MqttService() override;

  MqttState state() const { return state_; }
  const std::string& last_error() const { return last_error_; }
  std::string telemetry_topic() const;
  std::string command_topic() const;

  void on_wifi_connected(const std::string& ip, int rssi_dbm) override;
  void on_wifi_failed(WifiFailure) override {}
  void on_wifi_disconnected() override;
  void on_event(const MqttEvent& event);
  void poll();

  // AT+MQTT? and AT+MQTT_PUB (an AtServer extension); false for any other command name.
  bool handle_at(const std::string& name, const std::vector<std::string>& args);

 private:
  void start_connect();
  void fail(MqttFailure failure, const std::string& detail);
  void publish_telemetry(const char* type, const std::string& request_id, const std::string& error = "");
  void handle_command(const std::string& payload);
  void line(const std::string& text);
  std::string customer() const;
  std::string location() const;

  Platform& platform_;
  ProvisioningService& service_;
  nvs::NvsStore* store_;
  MqttSettings settings_;
  FirmwareInfo info_;
  MqttClient* client_;
  MqttState state_ = MqttState::off;
  std::string last_error_ = "none";
  bool wifi_up_ = false;
  std::uint64_t deadline_ms_ = 0;  // connecting: give up; failed: retry
  std::string ip_;
  std::string session_;  // random, new for each connection attempt
};

}  // namespace fw
