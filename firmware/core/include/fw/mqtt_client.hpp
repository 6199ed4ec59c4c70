// The MQTT part of the port layer: one TLS connection to the broker with the device's own certificate. The host
// port implements it with libmosquitto, the ESP-IDF port with esp-mqtt. Results arrive later through
// Firmware::on_mqtt_event, on the core's thread. C++17, no ESP-IDF headers.
#pragma once

#include <string>
#include <utility>

namespace fw {

// Why a connection failed, as the station reports it (PROTOCOL.md §8).
enum class MqttFailure { tls, auth, network, timeout, other };
const char* mqtt_failure_name(MqttFailure failure);  // "tls", "auth", "network", "timeout", "other"

struct MqttConnectConfig {
  std::string uri;   // mqtts://host:port, as given
  std::string host;
  int port = 8883;
  std::string client_id;    // the uuid
  std::string ca_cert_pem;  // verifies the broker (chain and host name)
  std::string cert_pem;     // the device's certificate, presented to the broker
  std::string key_pem;      // its private key: never logged
  int keepalive_s = 30;
};

struct MqttEvent {
  enum class Kind { connected, failed, disconnected, message, published, publish_refused } kind = Kind::failed;
  MqttFailure failure = MqttFailure::other;  // failed
  std::string detail;                        // failed / publish_refused: the library's reason, no secrets
  std::string topic;                         // message
  std::string payload;                       // message
  int message_id = 0;                        // published / publish_refused
};

inline MqttEvent mqtt_event(MqttEvent::Kind kind) {
  MqttEvent event;
  event.kind = kind;
  return event;
}

inline MqttEvent mqtt_failed(MqttFailure failure, std::string detail) {
  MqttEvent event;
  event.kind = MqttEvent::Kind::failed;
  event.failure = failure;
  event.detail = std::move(detail);
  return event;
}

class MqttClient {
 public:
  virtual ~MqttClient() = default;
  // Starts a connection; the result arrives as connected or failed. A running connection is dropped first.
  virtual void connect(const MqttConnectConfig& config) = 0;
  // Drops the connection or the attempt; produces no event.
  virtual void disconnect() = 0;
  // QoS 1. Returns the message id (> 0), or 0 when not connected. The broker's answer arrives as published, or
  // publish_refused when it refused it (MQTT 5 PUBACK reason >= 0x80, e.g. not authorized by its ACL).
  // `retain`: the broker keeps it as the topic's last message (the birth message, so a subscriber that comes later
  // still sees the current connection's birth).
  virtual int publish(const std::string& topic, const std::string& payload, bool retain) = 0;
  virtual bool subscribe(const std::string& topic) = 0;  // QoS 1
};

}  // namespace fw
