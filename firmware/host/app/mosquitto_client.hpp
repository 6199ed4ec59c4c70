// fw::MqttClient on the host: libmosquitto over the host's loopback network (the simulated WiFi's "internet").
// Driven from the simulator's one thread: loop() does the socket work without blocking, and events wait in a
// queue until the session hands them to the core.
#pragma once

#include <atomic>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "fw/mqtt_client.hpp"

struct mosquitto;
struct mosquitto_message;
typedef struct mqtt5__property mosquitto_property;

namespace sim {

class MosquittoClient : public fw::MqttClient {
 public:
  MosquittoClient();
  ~MosquittoClient() override;

  void connect(const fw::MqttConnectConfig& config) override;
  void disconnect() override;
  int publish(const std::string& topic, const std::string& payload, bool retain) override;
  bool subscribe(const std::string& topic) override;

  void loop();  // socket reads and writes, keepalive; never blocks
  bool active() const { return mosq_ != nullptr; }
  std::optional<fw::MqttEvent> take_event();

 private:
  static void on_connect(struct mosquitto*, void* self, int rc, int flags, const mosquitto_property*);
  static void on_disconnect(struct mosquitto*, void* self, int rc, const mosquitto_property*);
  static void on_publish(struct mosquitto*, void* self, int mid, int reason, const mosquitto_property*);
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* message,
                         const mosquitto_property*);
  static void on_log(struct mosquitto*, void* self, int level, const char* text);

  void fail(fw::MqttFailure failure, const std::string& detail);
  void close();
  void finish_connect();

  struct mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  bool in_callback_ = false;      // inside mosquitto_loop: the handle must outlive it
  bool close_requested_ = false;
  bool reported_ = false;         // this attempt's failure was queued
  std::string tls_error_;  // the last OpenSSL error libmosquitto logged during this connection
  // The blocking TCP connect and TLS handshake run on their own thread (joined in loop() once done, or in close()),
  // so one board's handshake never stalls the simulator's other boards. libmosquitto touches the handle only from
  // that thread until `connect_done_`.
  std::thread connect_thread_;
  std::atomic<bool> connect_done_{false};
  int connect_rc_ = 0;
  int connect_errno_ = 0;
  std::deque<fw::MqttEvent> events_;
};

}  // namespace sim
