// The connectivity step (issue 21): proves the board can use its identity. The board must report over its console
// (`AT+MQTT?`) that it is connected to the broker, and the station confirms it independently: it connects to the
// same broker with its own operator credential (a client certificate issued by the CA), subscribes to the board's
// telemetry topic and waits for the birth message of the board's current connection.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "provision/mqtt.hpp"
#include "provision/record.hpp"
#include "provision/serial.hpp"

namespace provision::mqtt {

namespace asio = boost::asio;

struct ConnectivityOptions {
  BrokerUrl broker;
  std::string ca_file;    // --mqtt-ca (else --ca-cert): the CA the broker's certificate must chain to
  std::string cert_file;  // --mqtt-cert: the station's client certificate
  std::string key_file;   // --mqtt-key: its private key (0600)
  std::chrono::milliseconds timeout{20000};  // --mqtt-timeout: board connected and birth received
};

struct ConnectivityResult {
  bool connected = false;
  std::string topic;
  double seconds = 0;
  Record fields() const;  // {"mqtt":{"connected","topic","seconds"}}
};

// Throws Error(mqtt_tls / mqtt_auth / mqtt_network / mqtt_timeout) saying whether the board or the station
// failed and why; bad_input when the board has no broker configured.
asio::awaitable<ConnectivityResult> check_connectivity(serial::Link& link, const ConnectivityOptions& options,
                                                       const Record& record);

}  // namespace provision::mqtt
