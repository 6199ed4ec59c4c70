#include "fw/mqtt_messages.hpp"

#include <cctype>
#include <cstdio>

namespace fw {

std::optional<BrokerAddress> parse_broker_url(const std::string& url) {
  static const std::string scheme = "mqtts://";
  if (url.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  BrokerAddress address;
  const auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5) return std::nullopt;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    address.port = std::stoi(port);
    if (address.port < 1 || address.port > 65535) return std::nullopt;
    rest.resize(colon);
  }
  if (rest.empty() || rest.size() > 253) return std::nullopt;
  for (char c : rest) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return std::nullopt;
  }
  address.host = rest;
  return address;
}

bool is_topic_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

std::string device_topic(const std::string& customer, const std::string& location, const std::string& device_id,
                         const char* leaf) {
  return "customer/" + customer + "/location/" + location + "/device/" + device_id + "/" + leaf;
}

std::string json_escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string telemetry_json(const TelemetryFields& f) {
  std::string json = std::string("{\"type\":\"") + f.type + "\",\"uuid\":\"" + json_escape(f.uuid) + "\",\"mac\":\"" +
                     json_escape(f.mac) + "\",\"fw_version\":\"" + json_escape(f.fw_version) +
                     "\",\"uptime_s\":" + std::to_string(f.uptime_s) + ",\"rssi\":" + std::to_string(f.rssi_dbm) +
                     ",\"ip\":\"" + json_escape(f.ip) + "\",\"session\":\"" + json_escape(f.session) + "\"";
  if (!f.request_id.empty()) json += ",\"id\":\"" + json_escape(f.request_id) + "\"";
  if (!f.error.empty()) json += ",\"error\":\"" + json_escape(f.error) + "\"";
  return json + "}";
}

namespace {
std::size_t skip_space(const std::string& text, std::size_t i) {
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  return i;
}

// Reads a JSON string starting at the opening quote; returns the position after the closing quote.
std::optional<std::size_t> read_string(const std::string& text, std::size_t i, std::string& out) {
  if (i >= text.size() || text[i] != '"') return std::nullopt;
  out.clear();
  for (++i; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') return i + 1;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= text.size()) return std::nullopt;
    switch (text[i]) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case 'u': return std::nullopt;  // commands are ASCII words; an escaped code point is not one
      default: out.push_back(text[i]);
    }
  }
  return std::nullopt;
}
}  // namespace

// A flat object only: a nested object or array ends the scan (commands never need one).
std::optional<std::string> json_string_field(const std::string& json, const std::string& key) {
  std::size_t i = skip_space(json, 0);
  if (i >= json.size() || json[i] != '{') return std::nullopt;
  i = skip_space(json, i + 1);
  std::string name, value;
  while (i < json.size() && json[i] == '"') {
    auto after = read_string(json, i, name);
    if (!after) return std::nullopt;
    i = skip_space(json, *after);
    if (i >= json.size() || json[i] != ':') return std::nullopt;
    i = skip_space(json, i + 1);
    if (i < json.size() && json[i] == '"') {
      auto end = read_string(json, i, value);
      if (!end) return std::nullopt;
      if (name == key) return value;
      i = *end;
    } else {
      while (i < json.size() && json[i] != ',' && json[i] != '}') {
        if (json[i] == '{' || json[i] == '[' || json[i] == '"') return std::nullopt;
        ++i;
      }
    }
    i = skip_space(json, i);
    if (i < json.size() && json[i] == ',') i = skip_space(json, i + 1);
  }
  return std::nullopt;
}

DeviceCommand parse_device_command(const std::string& payload) {
  DeviceCommand command;
  const std::size_t start = skip_space(payload, 0);
  if (start < payload.size() && payload[start] == '{') {
    command.name = json_string_field(payload, "cmd").value_or("");
    command.id = json_string_field(payload, "id").value_or("");
    command.customer = json_string_field(payload, "customer").value_or("");
    command.location = json_string_field(payload, "location").value_or("");
    return command;
  }
  std::size_t end = payload.size();
  while (end > start && std::isspace(static_cast<unsigned char>(payload[end - 1]))) --end;
  command.name = payload.substr(start, end - start);
  return command;
}

}  // namespace fw
