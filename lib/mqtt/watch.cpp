#include "mqtt/watch.hpp"

#include <fmt/format.h>
#include <mosquitto.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

namespace provision::mqtt {
namespace {

bool library_ready() {
  static const bool ready = mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
  return ready;
}

// Unique per connection: a broker drops the older of two connections with one client id.
std::string station_client_id() {
  static std::atomic<unsigned> next{0};
  char host[64] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "station");
  return fmt::format("espprov-station-{}-{}-{}", host, ::getpid(), next++);
}

}  // namespace

StationSubscriber::StationSubscriber(const ConnectivityOptions& options) : options_(options) {}

StationSubscriber::~StationSubscriber() {
  if (!mosq_) return;
  mosquitto_disconnect(mosq_);
  if (thread_started_) mosquitto_loop_stop(mosq_, true);  // joins libmosquitto's network thread
  mosquitto_destroy(mosq_);
}

void StationSubscriber::set_failure(ErrorCode code, const std::string& why) {
  std::lock_guard<std::mutex> guard(lock_);
  ++failures_;
  last_failure_.emplace(code, why, "mqtt");
}

void StationSubscriber::start_once() {
  std::lock_guard<std::mutex> started(start_lock_);
  if (thread_started_) return;
  const std::string url = options_.broker.text;
  if (!library_ready()) throw Error(ErrorCode::internal, "mqtt: libmosquitto did not initialise", "mqtt");
  if (!mosq_) mosq_ = mosquitto_new(station_client_id().c_str(), true, this);
  if (!mosq_) throw Error(ErrorCode::internal, "mqtt: mosquitto_new failed", "mqtt");
  mosquitto_connect_callback_set(mosq_, &StationSubscriber::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &StationSubscriber::on_disconnect);
  mosquitto_message_callback_set(mosq_, &StationSubscriber::on_message);
  mosquitto_log_callback_set(mosq_, &StationSubscriber::on_log);
  int rc = mosquitto_tls_set(mosq_, options_.ca_file.c_str(), nullptr, options_.cert_file.c_str(),
                             options_.key_file.c_str(), nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    throw Error(ErrorCode::mqtt_tls,
                fmt::format("mqtt: the station's TLS files were refused ({}): --mqtt-ca {}, --mqtt-cert {}, "
                            "--mqtt-key must be PEM files that belong together",
                            mosquitto_strerror(rc), options_.ca_file, options_.cert_file),
                "mqtt");
  }
  // A refused connect here is tried again by the next board (the network thread has not started).
  rc = mosquitto_connect_async(mosq_, options_.broker.host.c_str(), options_.broker.port, 30);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_PENDING) {
    const std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
    throw Error(ErrorCode::mqtt_network, fmt::format("mqtt: the station could not reach the broker {}: {}", url, why),
                "mqtt");
  }
  if (mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) {
    throw Error(ErrorCode::internal, "mqtt: libmosquitto's network thread did not start", "mqtt");
  }
  thread_started_ = true;
}

// Subscribed at once when connected; otherwise on_connect subscribes every watched topic. Either this sees
// connected_ or on_connect sees the topic, so none is missed (a topic subscribed twice is harmless: the birth
// message is checked, not counted).
void StationSubscriber::subscribe(const std::string& topic) {
  bool connected;
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (watchers_[topic]++ > 0) return;
    inbox_[topic];
    connected = connected_;
  }
  if (connected) mosquitto_subscribe(mosq_, nullptr, topic.c_str(), 1);
}

void StationSubscriber::unsubscribe(const std::string& topic) {
  bool connected;
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (--watchers_[topic] > 0) return;
    watchers_.erase(topic);
    inbox_.erase(topic);
    connected = connected_;
  }
  if (connected) mosquitto_unsubscribe(mosq_, nullptr, topic.c_str());
}

StationSubscriber::TopicWatch::TopicWatch(StationSubscriber& station, std::string topic)
    : station_(station), topic_(std::move(topic)) {
  {
    std::lock_guard<std::mutex> guard(station_.lock_);
    failures_before_ = station_.failures_;
  }
  station_.subscribe(topic_);
  try {
    station_.start_once();
  } catch (...) {
    station_.unsubscribe(topic_);
    throw;
  }
}

StationSubscriber::TopicWatch::~TopicWatch() {
  station_.unsubscribe(topic_);
}

std::vector<std::string> StationSubscriber::TopicWatch::take_messages() {
  std::lock_guard<std::mutex> guard(station_.lock_);
  return std::exchange(station_.inbox_[topic_], {});
}

std::optional<Error> StationSubscriber::TopicWatch::failure() const {
  std::lock_guard<std::mutex> guard(station_.lock_);
  if (station_.failures_ == failures_before_) return std::nullopt;
  return station_.last_failure_;
}

// libmosquitto's thread from here on.
void StationSubscriber::on_connect(struct mosquitto* mosq, void* self, int rc) {
  auto& station = *static_cast<StationSubscriber*>(self);
  if (rc != 0) {
    {
      std::lock_guard<std::mutex> guard(station.lock_);
      station.refused_ = true;
    }
    station.set_failure(ErrorCode::mqtt_auth,
                        fmt::format("mqtt: the broker {} refused the station's operator credential ({}): check "
                                    "--mqtt-cert and the broker's ACL for the station",
                                    station.options_.broker.text, mosquitto_connack_string(rc)));
    return;
  }
  std::vector<std::string> topics;
  {
    std::lock_guard<std::mutex> guard(station.lock_);
    station.connected_ = true;
    station.tls_error_.clear();
    for (const auto& [topic, count] : station.watchers_) topics.push_back(topic);
  }
  for (const auto& topic : topics) mosquitto_subscribe(mosq, nullptr, topic.c_str(), 1);
}

void StationSubscriber::on_disconnect(struct mosquitto*, void* self, int rc) {
  auto& station = *static_cast<StationSubscriber*>(self);
  bool was_connected, refused;
  std::string tls_error;
  {
    std::lock_guard<std::mutex> guard(station.lock_);
    was_connected = std::exchange(station.connected_, false);
    refused = std::exchange(station.refused_, false);
    tls_error = std::exchange(station.tls_error_, {});
  }
  // Our own disconnect, a drop after the subscription (reconnected), or the refusal already reported.
  if (rc == 0 || was_connected || refused) return;
  if (!tls_error.empty()) {
    station.set_failure(ErrorCode::mqtt_tls,
                        fmt::format("mqtt: the station's TLS session with {} failed ({}): check that --mqtt-ca is "
                                    "the CA of the broker's certificate and that the broker trusts --mqtt-cert's "
                                    "issuer",
                                    station.options_.broker.text, tls_error));
  } else {
    station.set_failure(ErrorCode::mqtt_network, fmt::format("mqtt: the station lost the broker {} before it "
                                                             "answered: {}",
                                                             station.options_.broker.text, mosquitto_strerror(rc)));
  }
}

void StationSubscriber::on_message(struct mosquitto*, void* self, const struct mosquitto_message* message) {
  auto& station = *static_cast<StationSubscriber*>(self);
  if (!message->topic) return;
  std::string payload;
  if (message->payload && message->payloadlen > 0) {
    payload.assign(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen));
  }
  std::lock_guard<std::mutex> guard(station.lock_);
  auto inbox = station.inbox_.find(message->topic);
  if (inbox != station.inbox_.end()) inbox->second.push_back(std::move(payload));  // else: a board already done
}

void StationSubscriber::on_log(struct mosquitto*, void* self, int level, const char* text) {
  if (level != MOSQ_LOG_ERR || !text) return;
  const std::string line(text);
  if (line.rfind("OpenSSL Error", 0) != 0) return;
  auto& station = *static_cast<StationSubscriber*>(self);
  std::lock_guard<std::mutex> guard(station.lock_);
  station.tls_error_ = line;
}

}  // namespace provision::mqtt
