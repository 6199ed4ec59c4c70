#include "app/mosquitto_client.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

namespace sim {
namespace {

// libmosquitto reads the CA, certificate and key from files; they live in a private folder (0700, files 0600) only
// while the TLS context is made, then go.
class PemFolder {
 public:
  PemFolder() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/espprov-sim-mqtt-XXXXXX";
    if (::mkdtemp(pattern.data())) dir_ = pattern;
  }
  ~PemFolder() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  bool ok() const { return !dir_.empty(); }
  std::string write(const char* name, const std::string& pem) {
    const auto path = dir_ / name;
    {
      std::ofstream out(path, std::ios::binary);
      out << pem;
    }
    ::chmod(path.c_str(), 0600);
    return path.string();
  }

 private:
  std::filesystem::path dir_;
};

bool library_ready() {
  static const bool ready = mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
  return ready;
}

}  // namespace

MosquittoClient::MosquittoClient() { library_ready(); }

MosquittoClient::~MosquittoClient() { close(); }

void MosquittoClient::close() {
  if (connect_thread_.joinable()) connect_thread_.join();
  if (!mosq_) return;
  if (connected_) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop(mosq_, 0, 1);  // lets the DISCONNECT leave
  }
  mosquitto_destroy(mosq_);
  mosq_ = nullptr;
  connected_ = false;
}

void MosquittoClient::fail(fw::MqttFailure failure, const std::string& detail) {
  if (in_callback_) {
    close_requested_ = true;  // never destroy the handle inside its own loop
  } else {
    close();
  }
  if (reported_) return;
  reported_ = true;
  fw::MqttEvent event;
  event.kind = fw::MqttEvent::Kind::failed;
  event.failure = failure;
  event.detail = detail;
  events_.push_back(std::move(event));
}

void MosquittoClient::connect(const fw::MqttConnectConfig& config) {
  close();
  tls_error_.clear();
  reported_ = false;
  close_requested_ = false;
  if (!library_ready()) return fail(fw::MqttFailure::other, "libmosquitto did not initialise");
  mosq_ = mosquitto_new(config.client_id.c_str(), true, this);
  if (!mosq_) return fail(fw::MqttFailure::other, "mosquitto_new failed");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);  // PUBACK reason codes show ACL refusals
  mosquitto_connect_v5_callback_set(mosq_, &MosquittoClient::on_connect);
  mosquitto_disconnect_v5_callback_set(mosq_, &MosquittoClient::on_disconnect);
  mosquitto_publish_v5_callback_set(mosq_, &MosquittoClient::on_publish);
  mosquitto_message_v5_callback_set(mosq_, &MosquittoClient::on_message);
  mosquitto_log_callback_set(mosq_, &MosquittoClient::on_log);

  auto pems = std::make_shared<PemFolder>();
  if (!pems->ok()) return fail(fw::MqttFailure::other, "no private folder for the TLS files");
  const std::string ca = pems->write("ca.pem", config.ca_cert_pem);
  const std::string cert = pems->write("cert.pem", config.cert_pem);
  const std::string key = pems->write("key.pem", config.key_pem);
  int rc = mosquitto_tls_set(mosq_, ca.c_str(), nullptr, cert.c_str(), key.c_str(), nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return fail(fw::MqttFailure::tls, std::string("TLS setup: ") + mosquitto_strerror(rc));
  // TLS 1.2, as ESP-IDF's default mbedTLS build speaks: there a broker's refusal of the device's certificate ends
  // the handshake itself (a fatal alert before Finished), so it is always reported as tls. With TLS 1.3 it would
  // arrive after the handshake and could look like a dropped connection.
  rc = mosquitto_tls_opts_set(mosq_, 1, "tlsv1.2", nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return fail(fw::MqttFailure::tls, std::string("TLS setup: ") + mosquitto_strerror(rc));
  connect_done_ = false;
  connect_thread_ = std::thread([this, pems, host = config.host, port = config.port, keepalive = config.keepalive_s] {
    connect_rc_ = mosquitto_connect(mosq_, host.c_str(), port, keepalive);
    connect_errno_ = errno;
    connect_done_ = true;  // the files go with `pems` when this thread ends
  });
}

// Back on the simulator's thread: the connect's verdict; CONNACK and the rest come through mosquitto_loop.
void MosquittoClient::finish_connect() {
  connect_thread_.join();
  const int rc = connect_rc_;
  if (rc == MOSQ_ERR_SUCCESS) return;
  if (rc == MOSQ_ERR_TLS || !tls_error_.empty()) {
    return fail(fw::MqttFailure::tls, tls_error_.empty() ? "TLS handshake failed" : tls_error_);
  }
  if (rc == MOSQ_ERR_ERRNO) {
    // The TCP connect itself failed: network. Anything else (a reset or a closed socket during the handshake) is
    // the broker refusing the TLS session.
    const int e = connect_errno_;
    const bool tcp = e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == ETIMEDOUT ||
                     e == EADDRNOTAVAIL || e == ENETDOWN;
    return fail(tcp ? fw::MqttFailure::network : fw::MqttFailure::tls,
                tcp ? std::string(std::strerror(e))
                    : std::string("the broker closed the connection during the TLS handshake: ") + std::strerror(e));
  }
  fail(fw::MqttFailure::network, mosquitto_strerror(rc));
}

void MosquittoClient::disconnect() { close(); }

int MosquittoClient::publish(const std::string& topic, const std::string& payload, bool retain) {
  if (!mosq_ || !connected_) return 0;
  int mid = 0;
  const int rc = mosquitto_publish_v5(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(),
                                      1, retain, nullptr);
  return rc == MOSQ_ERR_SUCCESS ? mid : 0;
}

bool MosquittoClient::subscribe(const std::string& topic) {
  if (!mosq_ || !connected_) return false;
  return mosquitto_subscribe_v5(mosq_, nullptr, topic.c_str(), 1, 0, nullptr) == MOSQ_ERR_SUCCESS;
}

void MosquittoClient::loop() {
  if (connect_thread_.joinable()) {
    if (!connect_done_) return;
    finish_connect();
  }
  if (!mosq_) return;
  in_callback_ = true;
  const int rc = mosquitto_loop(mosq_, 0, 8);
  in_callback_ = false;
  if (close_requested_) {
    close();
    close_requested_ = false;
    return;
  }
  if (rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN) return;
  // The connection ended without a callback's verdict (e.g. the broker closed before CONNACK).
  if (!connected_) {
    if (!tls_error_.empty()) return fail(fw::MqttFailure::tls, tls_error_);
    return fail(fw::MqttFailure::network, mosquitto_strerror(rc));
  }
  connected_ = false;
  close();
  fw::MqttEvent event;
  event.kind = fw::MqttEvent::Kind::disconnected;
  event.detail = mosquitto_strerror(rc);
  events_.push_back(std::move(event));
}

std::optional<fw::MqttEvent> MosquittoClient::take_event() {
  if (events_.empty()) return std::nullopt;
  fw::MqttEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

void MosquittoClient::on_connect(struct mosquitto*, void* self, int rc, int, const mosquitto_property*) {
  auto& client = *static_cast<MosquittoClient*>(self);
  if (rc == 0) {
    client.connected_ = true;
    client.events_.push_back(fw::mqtt_event(fw::MqttEvent::Kind::connected));
    return;
  }
  // CONNACK refused: MQTT 5 reason codes (and the 3.1.1 ones libmosquitto passes through).
  const bool auth = rc == MQTT_RC_NOT_AUTHORIZED || rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD ||
                    rc == MQTT_RC_CLIENTID_NOT_VALID || rc == MQTT_RC_BANNED || rc == 4 || rc == 5;
  client.fail(auth ? fw::MqttFailure::auth : fw::MqttFailure::other,
              std::string("broker refused: ") + mosquitto_reason_string(rc));
}

void MosquittoClient::on_disconnect(struct mosquitto*, void* self, int rc, const mosquitto_property*) {
  auto& client = *static_cast<MosquittoClient*>(self);
  if (!client.connected_) {
    // Before CONNACK, after the TCP connect: the broker refused the TLS session (PROTOCOL.md §8.4).
    client.fail(fw::MqttFailure::tls, client.tls_error_.empty()
                                          ? std::string("the broker closed the connection before CONNACK: ") +
                                                mosquitto_strerror(rc)
                                          : client.tls_error_);
    return;
  }
  client.connected_ = false;
  client.close_requested_ = true;
  fw::MqttEvent event;
  event.kind = fw::MqttEvent::Kind::disconnected;
  event.detail = rc >= 128 ? mosquitto_reason_string(rc) : mosquitto_strerror(rc);
  client.events_.push_back(std::move(event));
}

void MosquittoClient::on_publish(struct mosquitto*, void* self, int mid, int reason, const mosquitto_property*) {
  auto& client = *static_cast<MosquittoClient*>(self);
  fw::MqttEvent event;
  event.kind = reason >= 0x80 ? fw::MqttEvent::Kind::publish_refused : fw::MqttEvent::Kind::published;
  event.message_id = mid;
  if (reason >= 0x80) event.detail = mosquitto_reason_string(reason);
  client.events_.push_back(std::move(event));
}

void MosquittoClient::on_message(struct mosquitto*, void* self, const struct mosquitto_message* message,
                                 const mosquitto_property*) {
  auto& client = *static_cast<MosquittoClient*>(self);
  fw::MqttEvent event;
  event.kind = fw::MqttEvent::Kind::message;
  event.topic = message->topic ? message->topic : "";
  if (message->payload && message->payloadlen > 0) {
    event.payload.assign(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen));
  }
  client.events_.push_back(std::move(event));
}

void MosquittoClient::on_log(struct mosquitto*, void* self, int level, const char* text) {
  if (level != MOSQ_LOG_ERR || !text) return;
  const std::string line(text);
  if (line.rfind("OpenSSL Error", 0) == 0) static_cast<MosquittoClient*>(self)->tls_error_ = line;
}

}  // namespace sim
