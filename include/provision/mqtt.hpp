// The connectivity step's pure part (firmware/PROTOCOL.md §8): the broker URL, the device's topics, the board's
// `AT+MQTT?` answer and its birth message, and which error a failure is. No I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "provision/error.hpp"
#include "provision/record.hpp"

namespace provision::mqtt {

inline constexpr int kDefaultPort = 8883;
inline constexpr const char* kUnclaimedCustomer = "unclaimed";
inline constexpr const char* kUnclaimedLocation = "factory";

struct BrokerUrl {
  std::string text;  // as written into the credentials partition: mqtts://host:port
  std::string host;
  int port = kDefaultPort;
};
// `mqtts://host[:port]` only (the board authenticates with its certificate over TLS). Throws Error(bad_input,
// `field`) naming the value and what is accepted.
BrokerUrl parse_broker_url(std::string_view url, std::string_view field = "mqtt-url");

// customer/{cust}/location/{loc}/device/{uuid}/telemetry, with the record's customer_id/location_id when set and
// the documented unclaimed default otherwise.
std::string telemetry_topic(const Record& record);

// `+MQTT_STATUS:<state>,<last_error>,<topic>,<session>`.
struct BoardStatus {
  std::string state;       // off, idle, connecting, connected, failed
  std::string last_error;  // none, tls, auth, network, timeout, other, bad_url, no_certificate, ...
  std::string topic;
  std::string session;
};
BoardStatus parse_board_status(std::string_view arguments);

// True when `payload` is the birth message of connection `session` of device `uuid`.
bool is_birth(std::string_view payload, const std::string& uuid, const std::string& session);

// The error for a board that did not connect: mqtt_tls, mqtt_auth, mqtt_network or mqtt_timeout, with a message
// that says which and what to check.
Error board_failure(const BoardStatus& status, const std::string& url, double waited_s);

}  // namespace provision::mqtt
