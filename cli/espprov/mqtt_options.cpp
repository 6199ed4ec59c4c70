#include "mqtt_options.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "provision/files.hpp"

namespace espprov {
namespace {
namespace mqtt_options {

using provision::Error;
using provision::ErrorCode;

std::string readable_file(const std::string& path, const char* flag, const char* what) {
  if (path.empty()) {
    throw Error(ErrorCode::usage, fmt::format("{}: required with --mqtt-url ({})", flag, what), flag + 2);
  }
  provision::read_file_text(path);  // unreadable: Error(io) naming the file, now rather than at the first board
  return path;
}

}  // namespace mqtt_options
using namespace mqtt_options;
}  // namespace

void add_mqtt_options(CLI::App& sub, MqttCliOptions& o) {
  sub.add_option("--mqtt-url", o.url,
                 "MQTT broker, mqtts://HOST[:PORT] (default port 8883): written to the board (key mqtt_url) and "
                 "checked by the connectivity step");
  sub.add_option("--mqtt-ca", o.ca_file, "PEM CA certificate the broker's certificate chains to (default: --ca-cert)");
  sub.add_option("--mqtt-cert", o.cert_file,
                 "The station's operator certificate (PEM, issued by the CA the broker trusts)");
  sub.add_option("--mqtt-key", o.key_file, "Its private key (PEM, keep it 0600)");
  sub.add_option("--mqtt-timeout", o.timeout_s, "Seconds for the board to connect and its birth message to arrive")
      ->capture_default_str();
}

std::optional<provision::mqtt::ConnectivityOptions> to_connectivity_options(const MqttCliOptions& o,
                                                                            const std::string& fallback_ca) {
  if (o.url.empty()) {
    for (const auto* flag : {&o.ca_file, &o.cert_file, &o.key_file}) {
      if (!flag->empty()) {
        throw Error(ErrorCode::usage, "mqtt-url: --mqtt-ca, --mqtt-cert and --mqtt-key need --mqtt-url", "mqtt-url");
      }
    }
    return std::nullopt;
  }
  provision::mqtt::ConnectivityOptions out;
  out.broker = provision::mqtt::parse_broker_url(o.url, "mqtt-url");
  out.ca_file = readable_file(o.ca_file.empty() ? fallback_ca : o.ca_file, "--mqtt-ca",
                              "the CA certificate of the broker; or give --ca-cert");
  out.cert_file = readable_file(o.cert_file, "--mqtt-cert", "the station's operator certificate");
  out.key_file = readable_file(o.key_file, "--mqtt-key", "the operator certificate's key");
  if (!(o.timeout_s > 0) || o.timeout_s > 600) {
    throw Error(ErrorCode::bad_input, fmt::format("mqtt-timeout: {} s is outside 0..600 s", o.timeout_s),
                "mqtt-timeout");
  }
  out.timeout = std::chrono::milliseconds(static_cast<long long>(o.timeout_s * 1000));
  return out;
}

}  // namespace espprov
