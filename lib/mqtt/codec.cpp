#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "provision/mqtt.hpp"
#include "provision/wifi_at.hpp"

namespace provision::mqtt {
namespace {

bool is_host_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'; }

// A customer or location id is one topic level: 1..64 of [A-Za-z0-9_.-] (the firmware's rule).
bool is_topic_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

std::string field_or(const Record& record, const char* name, const char* fallback) {
  auto it = record.find(name);
  if (it != record.end() && it->is_string() && is_topic_id(it->get<std::string>())) return it->get<std::string>();
  return fallback;
}

}  // namespace

BrokerUrl parse_broker_url(std::string_view url, std::string_view field) {
  const auto refuse = [&](std::string_view why) {
    return Error(ErrorCode::bad_input,
                 fmt::format("{}: '{}' {}; expected mqtts://HOST[:PORT] (TLS, default port {})", field, url, why,
                             kDefaultPort),
                 std::string(field));
  };
  constexpr std::string_view scheme = "mqtts://";
  if (url.substr(0, scheme.size()) != scheme) throw refuse("is not an mqtts:// URL (the board only speaks TLS)");
  std::string_view rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  BrokerUrl out;
  out.text = std::string(url);
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    auto port = rest.substr(colon + 1);
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value < 1 || value > 65535) {
      throw refuse("has no port in 1..65535");
    }
    out.port = value;
    rest = rest.substr(0, colon);
  }
  if (rest.empty() || rest.size() > 253) throw refuse("has no host name (1..253 characters)");
  for (char c : rest) {
    if (!is_host_char(c)) throw refuse("has a host with characters outside [A-Za-z0-9.-_]");
  }
  out.host = std::string(rest);
  // The board's NVS string must hold it (with its NUL), and so must the firmware's own check.
  if (url.size() + 1 > 4000) throw refuse("is longer than an NVS string holds");
  return out;
}

std::string telemetry_topic(const Record& record) {
  return fmt::format("customer/{}/location/{}/device/{}/telemetry",
                     field_or(record, "customer_id", kUnclaimedCustomer),
                     field_or(record, "location_id", kUnclaimedLocation), record.value("uuid", std::string()));
}

BoardStatus parse_board_status(std::string_view arguments) {
  auto values = wifi::at::parse_arguments(arguments);
  if (values.size() != 4) {
    throw Error(ErrorCode::protocol,
                fmt::format("+MQTT_STATUS: expected 4 values (state, last error, topic, session), got {}",
                            values.size()),
                "mqtt");
  }
  return {values[0], values[1], values[2], values[3]};
}

bool is_birth(std::string_view payload, const std::string& uuid, const std::string& session) {
  const auto json = Record::parse(payload, nullptr, false);
  if (!json.is_object()) return false;
  return json.value("type", std::string()) == "birth" && json.value("uuid", std::string()) == uuid &&
         json.value("session", std::string()) == session;
}

Error board_failure(const BoardStatus& status, const std::string& url, double waited_s) {
  const std::string& reason = status.last_error;
  if (reason == "tls") {
    return Error(ErrorCode::mqtt_tls,
                 fmt::format("mqtt: the board's TLS session with {} failed (after {:.1f} s, state {}): check that "
                             "the broker's certificate chains to the board's ca_cert and names the URL's host, and "
                             "that the broker trusts the CA that issued the board's certificate",
                             url, waited_s, status.state),
                 "mqtt");
  }
  if (reason == "auth") {
    return Error(ErrorCode::mqtt_auth,
                 fmt::format("mqtt: the broker {} refused the board's identity (CONNACK not authorized): check the "
                             "broker's identity mapping and ACL for the board's uuid",
                             url),
                 "mqtt");
  }
  if (reason == "network") {
    return Error(ErrorCode::mqtt_network,
                 fmt::format("mqtt: the board could not reach the broker {} (after {:.1f} s): check the host, the "
                             "port and that the broker runs",
                             url, waited_s),
                 "mqtt");
  }
  if (reason == "no_certificate" || reason == "bad_url" || reason == "no_client" || reason == "no_uuid") {
    return Error(ErrorCode::mqtt_tls,
                 fmt::format("mqtt: the board cannot start MQTT ({}): it needs mqtt_url, device_cert, device_key and "
                             "ca_cert in its credentials partition; provision it with --ca-url and --mqtt-url",
                             reason),
                 "mqtt");
  }
  return Error(ErrorCode::mqtt_timeout,
               fmt::format("mqtt: the board did not connect to {} within {:.1f} s (state {}, last error {})", url,
                           waited_s, status.state, reason),
               "mqtt");
}

}  // namespace provision::mqtt
