// A real mosquitto 2 (Debian's `mosquitto`) for the MQTT tests and the demo's shape: TLS on a free loopback port,
// require_certificate, use_identity_as_username (the certificate's CN is the user), the CA certificate as cafile,
// and an ACL that holds each device to its own customer/+/location/+/device/<uuid>/... topics. The station's
// operator certificate (CN espprov-station, issued by the same CA with the openssl command) may read every
// device's telemetry and write every device's cmd. Started in the constructor, stopped in the destructor.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace mqtt_test {

struct BrokerFiles {
  std::filesystem::path client_ca;    // cafile: the CA whose client certificates are accepted
  std::filesystem::path server_cert;  // the broker's certificate (espprov-ca's server.pem: SAN 127.0.0.1)
  std::filesystem::path server_key;
};

// The files of an `espprov-ca init` folder: its CA for clients, its server certificate for the broker.
BrokerFiles files_of_ca(const std::filesystem::path& ca_dir);

// The station's operator credential, issued by the CA in `ca_dir` (ca.pem, ca.key) into `out_dir`.
struct OperatorCredential {
  std::string cert_file;
  std::string key_file;
};
OperatorCredential issue_operator_credential(const std::filesystem::path& ca_dir, const std::filesystem::path& out_dir,
                                             const std::string& common_name = "espprov-station");

// A TCP port on 127.0.0.1 nobody listens on (bound, read, released).
int free_loopback_port();

class Broker {
 public:
  Broker(const test_support::TempDir& dir, const BrokerFiles& files);
  ~Broker();
  int port() const { return port_; }
  std::string url() const { return "mqtts://127.0.0.1:" + std::to_string(port_); }
  void stop();
  std::string log_text() const;  // the broker's log file: errors and notices (each client connected, its user)

 private:
  std::filesystem::path log_file_;
  int port_ = 0;
  std::unique_ptr<test_support::BackgroundProcess> process_;
};

// One message over TLS with `credential` (QoS 1, waits for the PUBACK); false when the broker refused or dropped it.
bool publish(const Broker& broker, const std::string& ca_file, const OperatorCredential& credential,
             const std::string& topic, const std::string& payload);

// Subscribes to `topic` with `credential` and collects what arrives for `seconds`, or until `stop_after` messages.
// With `then_topic`, publishes `then_payload` there once the subscription is acknowledged (a command whose answer
// is awaited).
std::vector<std::string> collect(const Broker& broker, const std::string& ca_file,
                                 const OperatorCredential& credential, const std::string& topic, double seconds,
                                 std::size_t stop_after, const std::string& then_topic = "",
                                 const std::string& then_payload = "");

}  // namespace mqtt_test
