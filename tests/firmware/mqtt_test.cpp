// The firmware core's MQTT contract (PROTOCOL.md §8): URL, topics, telemetry JSON, commands, and AT+MQTT? on a
// booted device in memory whose credentials image the station's NVS writer built.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "firmware/memory_platform.hpp"
#include "fw/mqtt_messages.hpp"
#include "provision/nvs.hpp"

namespace mqtt_test {

using Lines = std::vector<std::string>;

TEST_CASE("firmware mqtt: only mqtts:// URLs with a host and a port in range are accepted", "[firmware][mqtt]") {
  auto ok = fw::parse_broker_url("mqtts://broker.example:8884");
  REQUIRE(ok);
  CHECK(ok->host == "broker.example");
  CHECK(ok->port == 8884);
  CHECK(fw::parse_broker_url("mqtts://10.0.0.5")->port == 8883);
  CHECK_FALSE(fw::parse_broker_url("mqtt://broker:1883"));
  CHECK_FALSE(fw::parse_broker_url("mqtts://:8883"));
  CHECK_FALSE(fw::parse_broker_url("mqtts://broker:0"));
  CHECK_FALSE(fw::parse_broker_url("mqtts://broker:65536"));
  CHECK_FALSE(fw::parse_broker_url("mqtts://bro ker:8883"));
}

TEST_CASE("firmware mqtt: topics follow seed 002 and ids are single topic levels", "[firmware][mqtt]") {
  CHECK(fw::device_topic("unclaimed", "factory", "u-1", "telemetry") ==
        "customer/unclaimed/location/factory/device/u-1/telemetry");
  CHECK(fw::is_topic_id("cust_42.a-b"));
  CHECK_FALSE(fw::is_topic_id(""));
  CHECK_FALSE(fw::is_topic_id("a/b"));
  CHECK_FALSE(fw::is_topic_id("+"));
  CHECK_FALSE(fw::is_topic_id("#"));
  CHECK_FALSE(fw::is_topic_id(std::string(65, 'a')));
}

TEST_CASE("firmware mqtt: the telemetry JSON carries uuid, mac, version, uptime, rssi and escapes strings",
          "[firmware][mqtt]") {
  fw::TelemetryFields fields;
  fields.uuid = "04e4822c-719e-45b0-b360-7e2819faca53";
  fields.mac = "A0:B1:C2:D3:E4:F5";
  fields.fw_version = "1.0\"x";
  fields.uptime_s = 12;
  fields.rssi_dbm = -48;
  fields.ip = "10.0.0.2";
  fields.session = "0a1b2c3d";
  fields.request_id = "r\n1";
  auto json = nlohmann::json::parse(fw::telemetry_json(fields));
  CHECK(json["type"] == "birth");
  CHECK(json["uuid"] == fields.uuid);
  CHECK(json["mac"] == fields.mac);
  CHECK(json["fw_version"] == "1.0\"x");
  CHECK(json["uptime_s"] == 12);
  CHECK(json["rssi"] == -48);
  CHECK(json["session"] == "0a1b2c3d");
  CHECK(json["id"] == "r\n1");
}

TEST_CASE("firmware mqtt: commands are JSON objects or bare words, unreadable ones have no name", "[firmware][mqtt]") {
  auto ping = fw::parse_device_command(R"( {"id": 7, "cmd":"ping", "x":{"nested":1}} )");
  CHECK(ping.name == "ping");
  auto claim = fw::parse_device_command(R"({"cmd":"claim","customer":"c1","location":"l\"1"})");
  CHECK(claim.name == "claim");
  CHECK(claim.customer == "c1");
  CHECK(claim.location == "l\"1");
  CHECK(fw::parse_device_command("factory_reset\n").name == "factory_reset");
  CHECK(fw::parse_device_command(R"({"cmd":)").name.empty());
  CHECK(fw::parse_device_command(R"({"cmd":"p\u0069ng"})").name.empty());
}

namespace {

// A credentials image from the station's writer, flashed at the default prov offset.
void flash_credentials(fwtest::Device& device, bool with_url) {
  provision::Record record = {{"uuid", "04e4822c-719e-45b0-b360-7e2819faca53"},
                              {"psk", std::string(64, 'a')},
                              {"mac", "A0:B1:C2:D3:E4:F5"},
                              {"certificate", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"},
                              {"device_key", "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"},
                              {"ca_cert", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"}};
  if (with_url) record["mqtt_url"] = "mqtts://127.0.0.1:8883";
  provision::nvs::CredentialsOptions options;
  options.size_bytes = 0x10000;
  auto image = provision::nvs::build_credentials_image(record, options);
  std::copy(image.begin(), image.end(), device.platform.flash().begin() + 0x3F0000);
}

}  // namespace

TEST_CASE("firmware mqtt: AT+MQTT? says off without a broker URL in the credentials", "[firmware][mqtt][at]") {
  fwtest::Device device;
  flash_credentials(device, false);
  device.boot();
  CHECK(device.send("AT+MQTT?") == Lines{"+MQTT_STATUS:off,none,\"\",\"\"", "OK"});
  CHECK(device.send("AT+MQTT?=1") == Lines{"ERROR:bad_argument"});
  CHECK(device.send("AT+MQTT_PUB=\"a\",\"b\"") == Lines{"ERROR:mqtt_not_connected"});
}

TEST_CASE("firmware mqtt: a port without an MQTT client reports failed,no_client and the unclaimed topic",
          "[firmware][mqtt][at]") {
  fwtest::Device device;
  flash_credentials(device, true);
  device.boot();
  CHECK(device.send("AT+MQTT?") ==
        Lines{"+MQTT_STATUS:failed,no_client,\"customer/unclaimed/location/factory/device/"
              "04e4822c-719e-45b0-b360-7e2819faca53/telemetry\",\"\"",
              "OK"});
}

}  // namespace mqtt_test
