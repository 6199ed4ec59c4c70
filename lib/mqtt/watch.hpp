// The station's own MQTT connection (libmosquitto), with the operator credential: one connection for every board
// of a run, a subscription per board's telemetry topic, and what arrives sorted by topic. One TLS handshake per
// run instead of one per board: with 32 boards at once, the handshakes were what the connectivity step waited
// for. libmosquitto's network thread does the socket work (started and joined here) and reconnects after a drop
// (subscriptions are renewed then); the connectivity step looks at the results from its coroutine.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "provision/mqtt_check.hpp"

struct mosquitto;
struct mosquitto_message;

namespace provision::mqtt {

class StationSubscriber {
 public:
  explicit StationSubscriber(const ConnectivityOptions& options);
  ~StationSubscriber();
  StationSubscriber(const StationSubscriber&) = delete;
  StationSubscriber& operator=(const StationSubscriber&) = delete;

  // A board's topic, watched from construction to destruction. failure() is a failure of the station's
  // connection that happened while this watch existed (an older one says nothing about the broker of now).
  class TopicWatch {
   public:
    TopicWatch(StationSubscriber& station, std::string topic);
    ~TopicWatch();
    TopicWatch(const TopicWatch&) = delete;
    TopicWatch& operator=(const TopicWatch&) = delete;
    std::vector<std::string> take_messages();
    std::optional<Error> failure() const;

   private:
    StationSubscriber& station_;
    std::string topic_;
    std::uint64_t failures_before_;
  };

 private:
  // Connects on first use (returns at once). Throws Error(mqtt_*) for a failure known at once.
  void start_once();
  void subscribe(const std::string& topic);
  void unsubscribe(const std::string& topic);
  static void on_connect(struct mosquitto*, void* self, int rc);
  static void on_disconnect(struct mosquitto*, void* self, int rc);
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* message);
  static void on_log(struct mosquitto*, void* self, int level, const char* text);
  void set_failure(ErrorCode code, const std::string& why);

  ConnectivityOptions options_;
  std::mutex start_lock_;  // the boards' coroutines may start it from several threads
  struct mosquitto* mosq_ = nullptr;
  bool thread_started_ = false;
  mutable std::mutex lock_;
  bool connected_ = false;
  bool refused_ = false;  // the broker's CONNACK refused us: the disconnect that follows is the same failure
  std::string tls_error_;
  std::uint64_t failures_ = 0;  // connection failures so far; the last one in last_failure_
  std::optional<Error> last_failure_;
  std::map<std::string, std::vector<std::string>> inbox_;  // watched topic -> messages not yet taken
  std::map<std::string, int> watchers_;                    // watched topic -> boards watching it
};

// check_connectivity() on a station connection shared by every board of a run (the run's workflow owns it).
asio::awaitable<ConnectivityResult> check_connectivity(serial::Link& link, const ConnectivityOptions& options,
                                                       const Record& record, StationSubscriber& station);

}  // namespace provision::mqtt
