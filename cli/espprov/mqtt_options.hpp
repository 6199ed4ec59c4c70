// The MQTT flags shared by `espprov provision` and `espprov mqtt-check`, and their translation into the
// connectivity step's options (checked before any board is touched).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "provision/mqtt_check.hpp"

namespace espprov {

struct MqttCliOptions {
  std::string url;        // --mqtt-url mqtts://host:port
  std::string ca_file;    // --mqtt-ca (default: --ca-cert)
  std::string cert_file;  // --mqtt-cert: the station's operator certificate
  std::string key_file;   // --mqtt-key
  double timeout_s = 20;  // --mqtt-timeout
};

void add_mqtt_options(CLI::App& sub, MqttCliOptions& options);

// nullopt without --mqtt-url. `fallback_ca` is --ca-cert (the CA the station trusts), used without --mqtt-ca.
std::optional<provision::mqtt::ConnectivityOptions> to_connectivity_options(const MqttCliOptions& options,
                                                                            const std::string& fallback_ca);

}  // namespace espprov
