// The connectivity step's pure part: broker URLs, the board's topic and status line, birth messages, and which
// error code a board's failure becomes.
#include <catch2/catch.hpp>

#include "provision/mqtt.hpp"
#include "provision/nvs.hpp"

namespace codec_test {

namespace mqtt = provision::mqtt;
using provision::ErrorCode;

TEST_CASE("mqtt codec: broker URLs are mqtts://host[:port], anything else names the field and the value",
          "[mqtt][unit]") {
  auto url = mqtt::parse_broker_url("mqtts://broker.lan:9883");
  CHECK(url.host == "broker.lan");
  CHECK(url.port == 9883);
  CHECK(mqtt::parse_broker_url("mqtts://127.0.0.1").port == 8883);
  for (const char* bad : {"mqtt://broker:1883", "https://broker", "mqtts://", "mqtts://broker:99999",
                          "mqtts://broker:x", "mqtts://bro ker"}) {
    try {
      mqtt::parse_broker_url(bad);
      FAIL("accepted " << bad);
    } catch (const provision::Error& e) {
      CHECK(e.code() == ErrorCode::bad_input);
      CHECK(e.field() == "mqtt-url");
      CHECK(std::string(e.what()).find(bad) != std::string::npos);
    }
  }
}

TEST_CASE("mqtt codec: the telemetry topic uses the record's customer and location, else the unclaimed default",
          "[mqtt][unit]") {
  provision::Record record = {{"uuid", "u-1"}};
  CHECK(mqtt::telemetry_topic(record) == "customer/unclaimed/location/factory/device/u-1/telemetry");
  record["customer_id"] = "acme";
  record["location_id"] = "hall-2";
  CHECK(mqtt::telemetry_topic(record) == "customer/acme/location/hall-2/device/u-1/telemetry");
  record["customer_id"] = "a/#";  // not a topic level: the default instead of a wildcard
  CHECK(mqtt::telemetry_topic(record) == "customer/unclaimed/location/hall-2/device/u-1/telemetry");
}

TEST_CASE("mqtt codec: a birth message counts only for the board's uuid and current session", "[mqtt][unit]") {
  const std::string birth = R"({"type":"birth","uuid":"u-1","session":"s1","mac":"A0:B1:C2:D3:E4:F5"})";
  CHECK(mqtt::is_birth(birth, "u-1", "s1"));
  CHECK_FALSE(mqtt::is_birth(birth, "u-1", "s0"));  // a retained birth of an earlier connection
  CHECK_FALSE(mqtt::is_birth(birth, "u-2", "s1"));
  CHECK_FALSE(mqtt::is_birth(R"({"type":"pong","uuid":"u-1","session":"s1"})", "u-1", "s1"));
  CHECK_FALSE(mqtt::is_birth("not json", "u-1", "s1"));
}

TEST_CASE("mqtt codec: the board's status line and its failures map to mqtt_tls, mqtt_auth, mqtt_network, "
          "mqtt_timeout",
          "[mqtt][unit]") {
  auto status = mqtt::parse_board_status(R"(failed,tls,"customer/unclaimed/location/factory/device/u/telemetry","ab")");
  CHECK(status.state == "failed");
  CHECK(status.last_error == "tls");
  CHECK(status.session == "ab");
  CHECK(mqtt::board_failure(status, "mqtts://b", 1).code() == ErrorCode::mqtt_tls);
  status.last_error = "auth";
  CHECK(mqtt::board_failure(status, "mqtts://b", 1).code() == ErrorCode::mqtt_auth);
  status.last_error = "network";
  auto network = mqtt::board_failure(status, "mqtts://b", 1);
  CHECK(network.code() == ErrorCode::mqtt_network);
  CHECK(std::string(network.what()).find("could not reach the broker") != std::string::npos);
  status.last_error = "timeout";
  CHECK(mqtt::board_failure(status, "mqtts://b", 1).code() == ErrorCode::mqtt_timeout);
  CHECK_THROWS_AS(mqtt::parse_board_status("connected,none"), provision::Error);
}

TEST_CASE("mqtt codec: mqtt_url is written last, so images without it keep their bytes", "[mqtt][unit][nvs]") {
  provision::Record record = {{"uuid", "04e4822c-719e-45b0-b360-7e2819faca53"},
                              {"psk", std::string(64, 'a')},
                              {"mac", "A0:B1:C2:D3:E4:F5"}};
  const auto without = provision::nvs::credentials_content(record, "provision");
  record["mqtt_url"] = "mqtts://127.0.0.1:8883";
  const auto with = provision::nvs::credentials_content(record, "provision");
  REQUIRE(with.elements().size() == without.elements().size() + 1);
  CHECK(std::equal(without.elements().begin(), without.elements().end(), with.elements().begin()));
  CHECK(with.elements().back().key == "mqtt_url");
  record["mqtt_url"] = "mqtt://plain:1883";
  CHECK_THROWS_AS(provision::nvs::credentials_content(record, "provision"), provision::Error);
}

}  // namespace codec_test
