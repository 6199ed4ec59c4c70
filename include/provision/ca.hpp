// Registering a device with a Certificate Authority (docs/ca.md is the contract): the client, HTTP/1.1 over TCP
// or TLS with Boost.Beast, the only part of this step that touches Asio; every call is a coroutine, so one
// io_context registers many devices at once. The pure parts (the CA URL, the request/response JSON) are in
// provision/ca/codec.hpp.
#pragma once

#include <utility>  // boost/asio/awaitable.hpp (1.74) uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "provision/ca/codec.hpp"
#include "provision/error.hpp"
#include "provision/progress.hpp"
#include "provision/record.hpp"

namespace provision::ca {

namespace asio = boost::asio;

// Client options, shared by every request.
struct ClientOptions {
  std::string url;                  // --ca-url
  std::string token;                // bearer token ("" = none); never logged
  std::string ca_bundle;            // PEM file of trusted roots for TLS; "" = the system store
  // The CA certificate(s) device certificates must chain to (--ca-cert FILE's text). Without them registering
  // is refused unless trust_ca_response: then the first ca_cert an answer carries is trusted, and every later
  // answer of this client must carry the same one (the workflow pins it in the ledger).
  std::string trusted_ca_pem;
  bool trust_ca_response = false;
  bool allow_insecure_http = false;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};  // one call, all attempts included
  int retries = 3;                           // attempts after the first, on connection errors, timeouts, 5xx
  std::chrono::milliseconds backoff{200};    // first wait; doubles each retry
  std::string user_agent = "espprov";
};

// Error(usage) naming --ca-cert unless `options` say what device certificates must chain to: checked by the
// commands before any device is touched.
void require_trust_choice(const ClientOptions& options);

// The bearer token from --token-file: read_secret_file's rule (the first line, without its line end).
std::string read_token_file(const std::string& path);

// The record fields a registration adds.
struct Registration {
  std::string certificate;
  std::string ca_cert;
  std::string expiry;
  std::string device_key;  // PEM PKCS#8 when the station generated (or was given) the key, or the CA sent one
  std::string cert_serial;       // hex
  std::string cert_fingerprint;  // SHA-256 of the DER, hex
  int attempts = 1;
  Record fields() const;  // {"certificate","ca_cert","device_key"?,"expiry","cert_serial","cert_fingerprint"}
};

// What the workflow asks for: the identity, and the device key to reuse when resuming (the ledger keeps it; a
// re-run must never make a new one).
struct DeviceIdentity {
  std::string uuid;
  std::string psk;
  std::string mac;
  std::string type;
  std::optional<std::string> pop;
  KeySource key_source = KeySource::station;
  std::optional<std::string> device_key;  // PEM; when set, its CSR is sent (key_source is then irrelevant)
};

struct HealthReport {
  std::string url;     // the origin
  bool tls = false;
  std::string tls_version;  // "TLSv1.3"
  int status = 0;
  Record body;              // the health JSON
  double round_trip_ms = 0;  // the health request on an open connection
  double connect_ms = 0;     // TCP connect + TLS handshake
  Record fields() const;
};

class Connection;

// Holds the options and the TLS context (roots loaded once). Cheap to share among many coroutines.
class Client {
 public:
  explicit Client(ClientOptions options);  // Error(ca_insecure / bad_input / io) for a bad URL, http, bundle
  ~Client();
  const ClientOptions& options() const;
  const CaUrl& url() const;
  struct Impl;
  const std::shared_ptr<Impl>& impl() const { return impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

// One keep-alive connection, opened lazily and reopened when the CA closes it. One request at a time.
class Connection {
 public:
  Connection(const Client& client, asio::any_io_executor executor);
  ~Connection();
  Connection(Connection&&) noexcept;
  // POST /api/devices/register with retries; checks the certificate (ca_check.hpp) before returning.
  asio::awaitable<Registration> register_device(const DeviceIdentity& identity);
  asio::awaitable<HealthReport> health();
  struct State;

 private:
  std::unique_ptr<State> state_;
};

// One-shot helpers: a fresh connection for one call.
asio::awaitable<Registration> register_device(const Client& client, const DeviceIdentity& identity);
asio::awaitable<HealthReport> health(const Client& client);

// Runs one CA coroutine on its own io_context (single-device commands); rethrows what it threw.
// `progress`, when set, gets "waiting for CA, N s" every few seconds while the CA has not answered (step
// "ca-register").
Registration run_register(const Client& client, const DeviceIdentity& identity, const ProgressSink& progress = {});
HealthReport run_health(const Client& client);

}  // namespace provision::ca
