// The device's MQTT contract in pure functions (PROTOCOL.md §8): the broker URL, seed 002's topics, the
// birth/telemetry JSON and the commands on `cmd`. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fw {

// Unclaimed devices publish under this customer and location (PROTOCOL.md §8.2).
constexpr const char* kUnclaimedCustomer = "unclaimed";
constexpr const char* kUnclaimedLocation = "factory";
constexpr int kDefaultMqttsPort = 8883;

struct BrokerAddress {
  std::string host;
  int port = kDefaultMqttsPort;
};
// `mqtts://host[:port]` (TLS only: the device authenticates with its certificate). Nothing else is accepted.
std::optional<BrokerAddress> parse_broker_url(const std::string& url);

// A customer or location id usable as one topic level: 1..64 bytes of [A-Za-z0-9_.-].
bool is_topic_id(const std::string& id);

// customer/{custId}/location/{locId}/device/{deviceId}/<leaf>
std::string device_topic(const std::string& customer, const std::string& location, const std::string& device_id,
                         const char* leaf);

struct TelemetryFields {
  const char* type = "birth";  // "birth", "pong", "factory_reset", "error"
  std::string uuid;
  std::string mac;
  std::string fw_version;
  std::uint64_t uptime_s = 0;
  int rssi_dbm = 0;
  std::string ip;
  std::string session;     // the connection's random id (AT+MQTT? shows it): tells a fresh birth from a stale one
  std::string request_id;  // echoed "id" of the command, when it had one
  std::string error;       // for "error"
};
std::string telemetry_json(const TelemetryFields& fields);

struct DeviceCommand {
  std::string name;  // "ping", "factory_reset", "claim", or what was sent
  std::string id;    // optional request id
  std::string customer;  // claim
  std::string location;  // claim
};
// A command is a JSON object {"cmd":"ping","id":"42"} or a bare word ("ping"). Empty name when unreadable.
DeviceCommand parse_device_command(const std::string& payload);

std::string json_escape(const std::string& text);
// The string value of a top-level "key" in a flat JSON object; nullopt when absent or not a string.
std::optional<std::string> json_string_field(const std::string& json, const std::string& key);

}  // namespace fw
