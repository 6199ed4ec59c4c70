#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>

#include "mqtt/watch.hpp"
#include "provision/mqtt_check.hpp"
#include "provision/wifi.hpp"

namespace provision::mqtt {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kBoardPoll{200};
constexpr std::chrono::milliseconds kWatchPoll{25};

double seconds_since(Clock::time_point start) {
  return std::round(std::chrono::duration<double>(Clock::now() - start).count() * 1000) / 1000;
}

asio::awaitable<void> pause(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<BoardStatus> board_status(wifi::Console& console) {
  for (const auto& line : co_await console.command("AT+MQTT?")) {
    if (line.kind == wifi::at::LineKind::data && line.name == "MQTT_STATUS") co_return parse_board_status(line.arguments);
  }
  throw Error(ErrorCode::protocol, "AT+MQTT?: the firmware answered OK without a +MQTT_STATUS line", "mqtt");
}

// The topic must be this board's: .../device/<uuid>/telemetry (the broker's ACL holds the board to it as well).
void check_topic(const std::string& topic, const std::string& uuid) {
  const std::string tail = "/device/" + uuid + "/telemetry";
  if (topic.size() < tail.size() || topic.compare(topic.size() - tail.size(), tail.size(), tail) != 0 ||
      topic.rfind("customer/", 0) != 0) {
    throw Error(ErrorCode::protocol,
                fmt::format("mqtt: the board publishes on '{}', not on customer/.../device/{}/telemetry", topic, uuid),
                "mqtt");
  }
}

}  // namespace

Record ConnectivityResult::fields() const {
  Record out = Record::object();
  out["mqtt"] = Record{{"connected", connected}, {"topic", topic}, {"seconds", seconds}};
  return out;
}

asio::awaitable<ConnectivityResult> check_connectivity(serial::Link& link, const ConnectivityOptions& options,
                                                       const Record& record) {
  StationSubscriber station(options);
  co_return co_await check_connectivity(link, options, record, station);
}

asio::awaitable<ConnectivityResult> check_connectivity(serial::Link& link, const ConnectivityOptions& options,
                                                       const Record& record, StationSubscriber& station) {
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  const std::string uuid = record.value("uuid", std::string());
  const std::string& url = options.broker.text;

  // 1. The board says it is connected. TLS and authentication refusals are final; a network failure may be a
  //    broker that is still starting, so the board's retries get until the deadline.
  wifi::Console console(link);
  BoardStatus status;
  while (true) {
    status = co_await board_status(console);
    if (status.state == "connected") break;
    if (status.state == "off") {
      throw Error(ErrorCode::bad_input,
                  "mqtt: the board has no broker configured (no mqtt_url in its credentials partition); provision "
                  "it with --mqtt-url",
                  "mqtt-url");
    }
    const bool final_refusal = status.state == "failed" && status.last_error != "network" &&
                               status.last_error != "timeout" && status.last_error != "none";
    if (final_refusal || Clock::now() >= deadline) throw board_failure(status, url, seconds_since(start));
    co_await pause(kBoardPoll);
  }
  check_topic(status.topic, uuid);

  // 2. The station sees the birth message of that connection (retained, so a late subscription gets it too), on
  //    its own connection with its own credential.
  StationSubscriber::TopicWatch watch(station, status.topic);
  while (true) {
    for (const auto& message : watch.take_messages()) {
      if (is_birth(message, uuid, status.session)) {
        co_return ConnectivityResult{true, status.topic, seconds_since(start)};
      }
    }
    if (auto failure = watch.failure()) throw *failure;
    if (Clock::now() >= deadline) {
      throw Error(ErrorCode::mqtt_timeout,
                  fmt::format("mqtt: the board reports connected, but no birth message of its connection {} reached "
                              "the station on {} within {:.1f} s: check the broker's ACL (the station must read "
                              "customer/#, the board write its own device topics)",
                              status.session, status.topic, seconds_since(start)),
                  "mqtt");
    }
    co_await pause(kWatchPoll);
  }
}

}  // namespace provision::mqtt
