#include "mqtt/watch.hpp"

#include <fmt/format.h>
#include <mosquitto.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace provision::mqtt {
namespace {

bool library_ready() {
  static const bool ready = mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
  return ready;
}

}  // namespace

TelemetryWatch::TelemetryWatch(const ConnectivityOptions& options, std::string client_id, std::string topic)
    : options_(options), client_id_(std::move(client_id)), topic_(std::move(topic)) {}

TelemetryWatch::~TelemetryWatch() {
  if (!mosq_) return;
  mosquitto_disconnect(mosq_);
  if (thread_started_) mosquitto_loop_stop(mosq_, true);  // joins libmosquitto's network thread
  mosquitto_destroy(mosq_);
}

void TelemetryWatch::set_failure(ErrorCode code, const std::string& why) {
  std::lock_guard<std::mutex> guard(lock_);
  if (!failure_) failure_.emplace(code, why, "mqtt");
}

void TelemetryWatch::start() {
  const std::string url = options_.broker.text;
  if (!library_ready()) throw Error(ErrorCode::internal, "mqtt: libmosquitto did not initialise", "mqtt");
  mosq_ = mosquitto_new(client_id_.c_str(), true, this);
  if (!mosq_) throw Error(ErrorCode::internal, "mqtt: mosquitto_new failed", "mqtt");
  mosquitto_connect_callback_set(mosq_, &TelemetryWatch::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &TelemetryWatch::on_disconnect);
  mosquitto_message_callback_set(mosq_, &TelemetryWatch::on_message);
  mosquitto_log_callback_set(mosq_, &TelemetryWatch::on_log);
  int rc = mosquitto_tls_set(mosq_, options_.ca_file.c_str(), nullptr, options_.cert_file.c_str(),
                             options_.key_file.c_str(), nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    throw Error(ErrorCode::mqtt_tls,
                fmt::format("mqtt: the station's TLS files were refused ({}): --mqtt-ca {}, --mqtt-cert {}, "
                            "--mqtt-key must be PEM files that belong together",
                            mosquitto_strerror(rc), options_.ca_file, options_.cert_file),
                "mqtt");
  }
  rc = mosquitto_connect_async(mosq_, options_.broker.host.c_str(), options_.broker.port, 30);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_PENDING) {
    const std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
    throw Error(ErrorCode::mqtt_network,
                fmt::format("mqtt: the station could not reach the broker {}: {}", url, why), "mqtt");
  }
  if (mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) {
    throw Error(ErrorCode::internal, "mqtt: libmosquitto's network thread did not start", "mqtt");
  }
  thread_started_ = true;
}

std::optional<Error> TelemetryWatch::failure() const {
  std::lock_guard<std::mutex> guard(lock_);
  return failure_;
}

std::vector<std::string> TelemetryWatch::take_messages() {
  std::lock_guard<std::mutex> guard(lock_);
  return std::exchange(messages_, {});
}

// libmosquitto's thread from here on.
void TelemetryWatch::on_connect(struct mosquitto* mosq, void* self, int rc) {
  auto& watch = *static_cast<TelemetryWatch*>(self);
  if (rc != 0) {
    watch.set_failure(ErrorCode::mqtt_auth,
                      fmt::format("mqtt: the broker {} refused the station's operator credential ({}): check "
                                  "--mqtt-cert and the broker's ACL for the station",
                                  watch.options_.broker.text, mosquitto_connack_string(rc)));
    return;
  }
  {
    std::lock_guard<std::mutex> guard(watch.lock_);
    watch.connected_ = true;
  }
  mosquitto_subscribe(mosq, nullptr, watch.topic_.c_str(), 1);
}

void TelemetryWatch::on_disconnect(struct mosquitto*, void* self, int rc) {
  auto& watch = *static_cast<TelemetryWatch*>(self);
  bool was_connected;
  std::string tls_error;
  {
    std::lock_guard<std::mutex> guard(watch.lock_);
    was_connected = watch.connected_;
    tls_error = watch.tls_error_;
  }
  if (rc == 0 || was_connected) return;  // our own disconnect, or a drop after the subscription (retried)
  if (!tls_error.empty()) {
    watch.set_failure(ErrorCode::mqtt_tls,
                      fmt::format("mqtt: the station's TLS session with {} failed ({}): check that --mqtt-ca is the "
                                  "CA of the broker's certificate and that the broker trusts --mqtt-cert's issuer",
                                  watch.options_.broker.text, tls_error));
  } else {
    watch.set_failure(ErrorCode::mqtt_network, fmt::format("mqtt: the station lost the broker {} before it "
                                                           "answered: {}",
                                                           watch.options_.broker.text, mosquitto_strerror(rc)));
  }
}

void TelemetryWatch::on_message(struct mosquitto*, void* self, const struct mosquitto_message* message) {
  auto& watch = *static_cast<TelemetryWatch*>(self);
  std::string payload;
  if (message->payload && message->payloadlen > 0) {
    payload.assign(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen));
  }
  std::lock_guard<std::mutex> guard(watch.lock_);
  watch.messages_.push_back(std::move(payload));
}

void TelemetryWatch::on_log(struct mosquitto*, void* self, int level, const char* text) {
  if (level != MOSQ_LOG_ERR || !text) return;
  const std::string line(text);
  if (line.rfind("OpenSSL Error", 0) != 0) return;
  auto& watch = *static_cast<TelemetryWatch*>(self);
  std::lock_guard<std::mutex> guard(watch.lock_);
  watch.tls_error_ = line;
}

}  // namespace provision::mqtt
