#include "fw/mqtt_service.hpp"

#include "fw/at_codec.hpp"
#include "fw/ble_provisioning.hpp"
#include "fw/device_identity.hpp"
#include "fw/mqtt_messages.hpp"
#include "fw/nvs_reader.hpp"

namespace fw {

const char* mqtt_failure_name(MqttFailure failure) {
  switch (failure) {
    case MqttFailure::tls: return "tls";
    case MqttFailure::auth: return "auth";
    case MqttFailure::network: return "network";
    case MqttFailure::timeout: return "timeout";
    case MqttFailure::other: return "other";
  }
  return "other";
}

const char* mqtt_state_name(MqttState state) {
  switch (state) {
    case MqttState::off: return "off";
    case MqttState::idle: return "idle";
    case MqttState::connecting: return "connecting";
    case MqttState::connected: return "connected";
    case MqttState::failed: return "failed";
  }
  return "off";
}

MqttSettings read_mqtt_settings(Platform& platform, const Partition& partition, const std::string& ns) {
  std::vector<std::uint8_t> bytes(partition.size);
  if (partition.size == 0 || !platform.flash_read(partition.offset, bytes.data(), bytes.size())) return {};
  const auto image = nvs::NvsImage::parse(bytes.data(), bytes.size());
  MqttSettings settings;
  settings.url = image.get_string(ns, "mqtt_url").value_or("");
  settings.ca_cert = image.get_string(ns, "ca_cert").value_or("");
  settings.device_cert = image.get_string(ns, "device_cert").value_or("");
  settings.device_key = image.get_string(ns, "device_key").value_or("");
  settings.customer_id = image.get_string(ns, "cust_id").value_or("");
  settings.location_id = image.get_string(ns, "loc_id").value_or("");
  return settings;
}

MqttService::MqttService(Platform& platform, ProvisioningService& service, nvs::NvsStore* store,
                         MqttSettings settings, FirmwareInfo info)
    : platform_(platform),
      service_(service),
      store_(store),
      settings_(std::move(settings)),
      info_(info),
      client_(platform.mqtt_client()) {
  if (settings_.url.empty()) return;  // no broker configured: AT+MQTT? says off
  if (!client_) {
    last_error_ = "no_client";
  } else if (!parse_broker_url(settings_.url)) {
    last_error_ = "bad_url";
  } else if (settings_.ca_cert.empty() || settings_.device_cert.empty() || settings_.device_key.empty()) {
    last_error_ = "no_certificate";
  } else if (!service_.credentials().provisioned()) {
    last_error_ = "no_uuid";
  } else {
    state_ = MqttState::idle;
    return;
  }
  state_ = MqttState::failed;
}

MqttService::~MqttService() {
  if (client_ && (state_ == MqttState::connecting || state_ == MqttState::connected)) client_->disconnect();
}

// The claim (own NVS) wins over the factory assignment (prov), which wins over the documented default.
std::string MqttService::customer() const {
  if (store_) {
    if (auto claimed = store_->get_string(kMqttNamespace, "cust_id"); claimed && is_topic_id(*claimed)) return *claimed;
  }
  return is_topic_id(settings_.customer_id) ? settings_.customer_id : kUnclaimedCustomer;
}

std::string MqttService::location() const {
  if (store_) {
    if (auto claimed = store_->get_string(kMqttNamespace, "loc_id"); claimed && is_topic_id(*claimed)) return *claimed;
  }
  return is_topic_id(settings_.location_id) ? settings_.location_id : kUnclaimedLocation;
}

std::string MqttService::telemetry_topic() const {
  return device_topic(customer(), location(), service_.credentials().uuid, "telemetry");
}

std::string MqttService::command_topic() const {
  return device_topic(customer(), location(), service_.credentials().uuid, "cmd");
}

void MqttService::on_wifi_connected(const std::string& ip, int) {
  wifi_up_ = true;
  ip_ = ip;
  if (state_ == MqttState::idle || (state_ == MqttState::failed && client_ && last_error_ != "bad_url" &&
                                    last_error_ != "no_certificate" && last_error_ != "no_uuid")) {
    start_connect();
  }
}

void MqttService::on_wifi_disconnected() {
  wifi_up_ = false;
  if (state_ == MqttState::connecting || state_ == MqttState::connected) {
    client_->disconnect();
    state_ = MqttState::idle;
    line("+MQTT:DISCONNECTED");
  }
}

void MqttService::start_connect() {
  const auto address = parse_broker_url(settings_.url);
  MqttConnectConfig config;
  config.uri = settings_.url;
  config.host = address->host;
  config.port = address->port;
  config.client_id = service_.credentials().uuid;
  config.ca_cert_pem = settings_.ca_cert;
  config.cert_pem = settings_.device_cert;
  config.key_pem = settings_.device_key;
  std::uint8_t nonce[4];
  platform_.random_bytes(nonce, sizeof nonce);
  session_ = to_lower_hex(nonce, sizeof nonce);  // names this connection in the birth message and AT+MQTT?
  state_ = MqttState::connecting;
  deadline_ms_ = platform_.now_ms() + kConnectTimeoutMs;
  client_->connect(config);
}

void MqttService::fail(MqttFailure failure, const std::string& detail) {
  state_ = MqttState::failed;
  last_error_ = mqtt_failure_name(failure);
  deadline_ms_ = platform_.now_ms() + kRetryDelayMs;
  line(std::string("+MQTT:FAILED,") + last_error_ + "," + quote_at_string(detail));
}

void MqttService::on_event(const MqttEvent& event) {
  switch (event.kind) {
    case MqttEvent::Kind::connected:
      if (state_ != MqttState::connecting) return;
      state_ = MqttState::connected;
      last_error_ = "none";
      client_->subscribe(command_topic());
      publish_telemetry("birth", "");
      line("+MQTT:CONNECTED," + quote_at_string(telemetry_topic()));
      return;
    case MqttEvent::Kind::failed:
      if (state_ != MqttState::connecting) return;
      fail(event.failure, event.detail);
      return;
    case MqttEvent::Kind::disconnected:
      if (state_ != MqttState::connected) return;
      fail(MqttFailure::network, event.detail.empty() ? "connection lost" : event.detail);
      return;
    case MqttEvent::Kind::message:
      if (event.topic == command_topic()) handle_command(event.payload);
      return;
    case MqttEvent::Kind::published:
      line("+MQTT:PUBLISHED," + std::to_string(event.message_id));
      return;
    case MqttEvent::Kind::publish_refused:
      line("+MQTT:REFUSED," + std::to_string(event.message_id) + "," + quote_at_string(event.detail));
      return;
  }
}

void MqttService::poll() {
  if (!client_) return;
  const auto now = platform_.now_ms();
  if (state_ == MqttState::connecting && now >= deadline_ms_) {
    client_->disconnect();
    fail(MqttFailure::timeout, "no answer from the broker");
  } else if (state_ == MqttState::failed && wifi_up_ && now >= deadline_ms_ &&
             (last_error_ == "tls" || last_error_ == "auth" || last_error_ == "network" || last_error_ == "timeout" ||
              last_error_ == "other")) {
    start_connect();  // a broker that was down or refused may come back
  }
}

void MqttService::publish_telemetry(const char* type, const std::string& request_id, const std::string& error) {
  TelemetryFields fields;
  fields.type = type;
  fields.uuid = service_.credentials().uuid;
  fields.mac = format_mac(platform_.factory_mac());
  fields.fw_version = info_.version;
  fields.uptime_s = platform_.now_ms() / 1000;
  fields.rssi_dbm = service_.status().rssi_dbm;
  fields.ip = ip_;
  fields.session = session_;
  fields.request_id = request_id;
  fields.error = error;
  client_->publish(telemetry_topic(), telemetry_json(fields), std::string(type) == "birth");
}

void MqttService::handle_command(const std::string& payload) {
  const DeviceCommand command = parse_device_command(payload);
  line("+MQTT:CMD," + quote_at_string(command.name));
  if (command.name == "ping") {
    publish_telemetry("pong", command.id);
  } else if (command.name == "factory_reset") {
    // Seed 002's unbind: WiFi settings go, identity and PoP stay; the next boot waits to be provisioned.
    publish_telemetry("factory_reset", command.id);
    if (service_.factory_reset() != Outcome::ok) {
      publish_telemetry("error", command.id, "flash");
      return;
    }
    if (store_) {
      store_->set_u8(kMqttNamespace, kMqttUnbindKey, 1);
      store_->set_u8(kBleNamespace, kProvisioningAtBootKey, 1);  // a board with BLE advertises (PROTOCOL.md §7.2)
    }
    platform_.restart(BootMode::app);
  } else if (command.name == "claim") {
    if (!is_topic_id(command.customer) || !is_topic_id(command.location)) {
      publish_telemetry("error", command.id, "bad_claim");
      return;
    }
    if (!store_ || !store_->set_string(kMqttNamespace, "cust_id", command.customer) ||
        !store_->set_string(kMqttNamespace, "loc_id", command.location)) {
      publish_telemetry("error", command.id, "flash");
      return;
    }
    client_->disconnect();  // reconnect under the claimed topics
    start_connect();
  } else {
    publish_telemetry("error", command.id, "unknown_command");
  }
}

bool MqttService::handle_at(const std::string& name, const std::vector<std::string>& args) {
  if (name == "MQTT?") {
    if (!args.empty()) {
      line("ERROR:bad_argument");
      return true;
    }
    const std::string topic = state_ == MqttState::off ? "" : telemetry_topic();
    line(std::string("+MQTT_STATUS:") + mqtt_state_name(state_) + "," + last_error_ + "," + quote_at_string(topic) +
         "," + quote_at_string(session_));
    line("OK");
    return true;
  }
  if (name == "MQTT_PUB") {
    if (args.size() != 2) {
      line("ERROR:bad_argument");
      return true;
    }
    if (state_ != MqttState::connected) {
      line("ERROR:mqtt_not_connected");
      return true;
    }
    const int id = client_->publish(args[0], args[1], false);
    if (id <= 0) {
      line("ERROR:mqtt_not_connected");
      return true;
    }
    line("+MQTT_PUB:" + std::to_string(id));
    line("OK");
    return true;
  }
  return false;
}

void MqttService::line(const std::string& text) { platform_.console_write(text + "\r\n"); }

}  // namespace fw
