// The station's own MQTT client (libmosquitto): subscribes to one topic with the operator credential and collects
// what arrives. libmosquitto's network thread does the socket work (started and joined here); the connectivity
// step looks at the results from its coroutine.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "provision/mqtt_check.hpp"

struct mosquitto;
struct mosquitto_message;

namespace provision::mqtt {

class TelemetryWatch {
 public:
  TelemetryWatch(const ConnectivityOptions& options, std::string client_id, std::string topic);
  ~TelemetryWatch();
  TelemetryWatch(const TelemetryWatch&) = delete;
  TelemetryWatch& operator=(const TelemetryWatch&) = delete;

  // Starts connecting (returns at once). Throws Error(mqtt_*) for a failure known at once.
  void start();
  // The station's connection failure, once known (thrown by the caller).
  std::optional<Error> failure() const;
  std::vector<std::string> take_messages();

 private:
  static void on_connect(struct mosquitto*, void* self, int rc);
  static void on_disconnect(struct mosquitto*, void* self, int rc);
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* message);
  static void on_log(struct mosquitto*, void* self, int level, const char* text);
  void set_failure(ErrorCode code, const std::string& why);

  ConnectivityOptions options_;
  std::string client_id_;
  std::string topic_;
  struct mosquitto* mosq_ = nullptr;
  bool thread_started_ = false;
  mutable std::mutex lock_;
  bool connected_ = false;
  std::string tls_error_;
  std::optional<Error> failure_;
  std::vector<std::string> messages_;
};

}  // namespace provision::mqtt
