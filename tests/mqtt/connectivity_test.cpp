// Device identity in use (issue 21): boards provisioned by the real espprov against espprov-ca connect to a real
// mosquitto 2 with their own certificates; the station confirms with its operator certificate. Every case starts its
// own broker on a free loopback port and stops it.
#include <catch2/catch.hpp>

#include "e2e/e2e_support.hpp"
#include "mqtt/broker_support.hpp"
#include "provision/wifi.hpp"
#include "wifi/wifi_support.hpp"

namespace connectivity_test {

using e2e::CaRun;
using mqtt_test::Broker;
using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;
namespace wifi = provision::wifi;

namespace {

std::vector<std::string> with_mqtt(const CaRun& ca, const std::string& ledger, const std::string& port,
                                   const std::string& url, const mqtt_test::OperatorCredential& station,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> flags{"--mqtt-url", url, "--mqtt-cert", station.cert_file, "--mqtt-key", station.key_file};
  flags.insert(flags.end(), extra.begin(), extra.end());
  return e2e::provision_argv(&ca, ledger, {port}, flags);
}

std::string topic_of(const std::string& uuid, const char* leaf) {
  return "customer/unclaimed/location/factory/device/" + uuid + "/" + leaf;
}

// Sends one AT line on the board's console and returns the final line and the unsolicited +MQTT line that follows
// within `wait` (empty when none).
struct ConsoleAnswer {
  std::vector<std::string> data;
  std::string event;
};
ConsoleAnswer at_then_event(const std::string& port, const std::string& line, std::chrono::milliseconds wait) {
  return wifi_test::on_port<ConsoleAnswer>(port, [&](wifi::Link& link) -> boost::asio::awaitable<ConsoleAnswer> {
    wifi::Console console(link);
    ConsoleAnswer answer;
    for (const auto& l : co_await console.command(line)) answer.data.push_back(l.name + ":" + l.arguments);
    if (auto event = co_await console.wait_unsolicited("MQTT", wait)) answer.event = event->arguments;
    co_return answer;
  });
}

struct Lab {
  TempDir dir;
  CaRun ca{dir};
  Broker broker{dir, mqtt_test::files_of_ca(ca.dir())};
  mqtt_test::OperatorCredential station = mqtt_test::issue_operator_credential(ca.dir(), dir.path());
};

}  // namespace

TEST_CASE("mqtt: a freshly provisioned board connects with its certificate and its birth message arrives",
          "[e2e][mqtt]") {
  Lab lab;
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto run = run_process(with_mqtt(lab.ca, (lab.dir / "ledger.db").string(), board.port, lab.broker.url(), lab.station),
                         "", 120s);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto out = e2e::records(run);
  REQUIRE(out.size() == 1);
  const std::string uuid = out[0]["uuid"];
  CHECK(out[0]["mqtt"]["connected"] == true);
  CHECK(out[0]["mqtt"]["topic"] == topic_of(uuid, "telemetry"));
  CHECK(out[0]["mqtt"]["seconds"].get<double>() > 0);
  CHECK(out[0]["timings"].contains("connectivity"));
  CHECK(e2e::flashed_credentials(board.flash)["mqtt_url"] == lab.broker.url());

  // Independently of espprov: the retained birth message names the board, and a ping is answered on telemetry.
  auto birth = mqtt_test::collect(lab.broker, lab.ca.ca_cert(), lab.station, topic_of(uuid, "telemetry"), 5, 1);
  REQUIRE(birth.size() == 1);
  auto message = json::parse(birth[0]);
  CHECK(message["type"] == "birth");
  CHECK(message["uuid"] == uuid);
  CHECK(message["mac"] == board.mac);
  CHECK(message.contains("fw_version"));
  CHECK(message.contains("uptime_s"));
  CHECK(message.contains("rssi"));
  auto answers = mqtt_test::collect(lab.broker, lab.ca.ca_cert(), lab.station, topic_of(uuid, "telemetry"), 5, 2,
                                    topic_of(uuid, "cmd"), R"({"cmd":"ping","id":"p1"})");
  REQUIRE(answers.size() == 2);  // the retained birth, then the answer
  auto pong = json::parse(answers[1]);
  CHECK(pong["type"] == "pong");
  CHECK(pong["id"] == "p1");
  CHECK(pong["uuid"] == uuid);
  auto status = at_then_event(board.port, "AT+MQTT?", 0ms);
  REQUIRE(status.data.size() == 1);
  CHECK(status.data[0].rfind("MQTT_STATUS:connected,none,", 0) == 0);

  // espprov mqtt-check runs the step alone on the provisioned board (the --help example, with this lab's files).
  auto check = run_process({test_support::bin_path("espprov").string(), "mqtt-check", "--port", board.port,
                            "--mqtt-url", lab.broker.url(), "--mqtt-ca", lab.ca.ca_cert(), "--mqtt-cert",
                            lab.station.cert_file, "--mqtt-key", lab.station.key_file},
                           "", 60s);
  INFO(check.err);
  REQUIRE(check.exit_code == 0);
  auto checked = e2e::records(check);
  REQUIRE(checked.size() == 1);
  CHECK(checked[0]["mqtt"]["connected"] == true);
  CHECK(checked[0]["uuid"] == uuid);

  // A claim on cmd moves the board to the claimed customer and location: it reconnects and publishes its birth there.
  const std::string claimed = "customer/acme/location/hall-2/device/" + uuid + "/telemetry";
  auto births = mqtt_test::collect(lab.broker, lab.ca.ca_cert(), lab.station, claimed, 10, 1, topic_of(uuid, "cmd"),
                                   R"({"cmd":"claim","customer":"acme","location":"hall-2"})");
  REQUIRE(births.size() == 1);
  CHECK(json::parse(births[0])["type"] == "birth");
  auto moved = at_then_event(board.port, "AT+MQTT?", 0ms);
  REQUIRE(moved.data.size() == 1);
  CHECK(moved.data[0].find(claimed) != std::string::npos);
}

static std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST_CASE("mqtt: one provision run confirms all its boards over a single station connection to the broker",
          "[e2e][mqtt]") {
  Lab lab;
  SimRun sim(3, "esp32c3");
  std::vector<std::string> ports;
  for (const auto& board : sim.devices()) ports.push_back(board.port);
  auto run = run_process(e2e::provision_argv(&lab.ca, (lab.dir / "ledger.db").string(), ports,
                                             {"--mqtt-url", lab.broker.url(), "--mqtt-cert", lab.station.cert_file,
                                              "--mqtt-key", lab.station.key_file}),
                         "", 180s);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto out = e2e::records(run);
  REQUIRE(out.size() == 3);
  const std::string log = lab.broker.log_text();
  INFO(log);
  for (const auto& record : out) {
    CHECK(record["mqtt"]["connected"] == true);
    // Each board's own connection (its certificate's CN, its uuid, is its user) is in the log...
    CHECK(count_of(log, "u'" + record["uuid"].get<std::string>() + "'") >= 1);
  }
  // ... and the station's operator credential connected once for the three of them.
  CHECK(count_of(log, "u'espprov-station'") == 1);
}

TEST_CASE("mqtt: the broker's ACL refuses a board's publish to another device's topic",
          "[e2e][mqtt]") {
  Lab lab;
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto run = run_process(with_mqtt(lab.ca, (lab.dir / "ledger.db").string(), board.port, lab.broker.url(), lab.station),
                         "", 120s);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const std::string uuid = e2e::records(run)[0]["uuid"];

  // Its own topic: accepted. Another device's: the broker answers "not authorized" (MQTT 5 PUBACK 0x87).
  auto own = at_then_event(board.port, "AT+MQTT_PUB=\"" + topic_of(uuid, "telemetry") + "\",\"{}\"", 3000ms);
  REQUIRE(own.data.size() == 1);
  CHECK(own.event.rfind("PUBLISHED,", 0) == 0);
  const std::string other = "00000000-1111-4222-8333-444444444444";
  auto refused = at_then_event(board.port, "AT+MQTT_PUB=\"" + topic_of(other, "telemetry") + "\",\"{}\"", 3000ms);
  REQUIRE(refused.data.size() == 1);
  CHECK(refused.event.rfind("REFUSED,", 0) == 0);
  CHECK(refused.event.find("authori") != std::string::npos);
  // And nothing reached that topic.
  CHECK(mqtt_test::collect(lab.broker, lab.ca.ca_cert(), lab.station, topic_of(other, "telemetry"), 1, 1).empty());
}

TEST_CASE("mqtt: factory_reset on cmd wipes the WiFi settings and the board waits to be provisioned again",
          "[e2e][mqtt]") {
  Lab lab;
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto run = run_process(with_mqtt(lab.ca, (lab.dir / "ledger.db").string(), board.port, lab.broker.url(), lab.station),
                         "", 120s);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const std::string uuid = e2e::records(run)[0]["uuid"];

  REQUIRE(mqtt_test::publish(lab.broker, lab.ca.ca_cert(), lab.station, topic_of(uuid, "cmd"),
                             R"({"cmd":"factory_reset"})"));
  auto after = wifi_test::on_port<wifi::DeviceInfo>(board.port, [](wifi::Link& link) -> boost::asio::awaitable<wifi::DeviceInfo> {
    co_await wifi::wait_ready(link, 10s);  // the reboot's +READY
    co_return co_await wifi::info(link);
  });
  CHECK(after.saved_networks == 0);
  CHECK(after.uuid == uuid);  // identity and credentials stay
  auto saved = wifi_test::on_port<std::vector<wifi::SavedNetwork>>(board.port, [](wifi::Link& link) { return wifi::list(link); });
  CHECK(saved.empty());
  auto status = wifi_test::on_port<wifi::WifiStatus>(board.port, [](wifi::Link& link) { return wifi::status(link); });
  CHECK(status.state == "idle");  // not connecting to prov's wifi_ssid: it waits for provisioning
  auto mqtt = at_then_event(board.port, "AT+MQTT?", 0ms);
  REQUIRE(mqtt.data.size() == 1);
  CHECK(mqtt.data[0].rfind("MQTT_STATUS:idle,", 0) == 0);
}

TEST_CASE("mqtt: a board whose certificate comes from another CA is refused by the broker (mqtt_tls, 80)",
          "[e2e][mqtt]") {
  TempDir dir;
  CaRun ca(dir);  // the CA the board is registered with
  TempDir other_dir;
  CaRun broker_ca(other_dir);  // the only CA the broker accepts client certificates from
  // The broker presents a certificate the board trusts (from its own CA) but accepts clients of the other CA only.
  auto files = mqtt_test::files_of_ca(ca.dir());
  files.client_ca = broker_ca.dir() / "ca.pem";
  Broker broker(dir, files);
  auto station = mqtt_test::issue_operator_credential(broker_ca.dir(), dir.path());
  SimRun sim(1, "esp32c3");
  auto run = run_process(with_mqtt(ca, (dir / "ledger.db").string(), sim.devices()[0].port, broker.url(), station,
                                   {"--mqtt-timeout", "10"}),
                         "", 120s);
  INFO(run.err);
  CHECK(run.exit_code == 80);
  auto out = e2e::records(run);
  REQUIRE(out.size() == 1);
  CHECK(out[0]["error"]["code"] == "mqtt_tls");
  CHECK(out[0]["error"]["message"].get<std::string>().find("TLS session") != std::string::npos);
}

TEST_CASE("mqtt: with the broker down the step fails with mqtt_network (82) and says the board could not reach it",
          "[e2e][mqtt]") {
  TempDir dir;
  CaRun ca(dir);
  auto station = mqtt_test::issue_operator_credential(ca.dir(), dir.path());
  const std::string url = "mqtts://127.0.0.1:" + std::to_string(mqtt_test::free_loopback_port());
  SimRun sim(1, "esp32c3");
  auto run = run_process(with_mqtt(ca, (dir / "ledger.db").string(), sim.devices()[0].port, url, station,
                                   {"--mqtt-timeout", "3"}),
                         "", 120s);
  INFO(run.err);
  CHECK(run.exit_code == 82);
  auto out = e2e::records(run);
  REQUIRE(out.size() == 1);
  CHECK(out[0]["error"]["code"] == "mqtt_network");
  CHECK(out[0]["error"]["message"].get<std::string>().find("could not reach the broker") != std::string::npos);
}

TEST_CASE("mqtt: nvs-build --mqtt-url writes the mqtt_url key, a plain mqtt:// URL is refused naming the field",
          "[e2e][mqtt][nvs]") {
  TempDir dir;
  const std::string espprov = test_support::bin_path("espprov").string();
  const std::string record = R"({"uuid":"04e4822c-719e-45b0-b360-7e2819faca53","psk":")" + std::string(64, 'a') +
                             R"(","mac":"A0:B1:C2:D3:E4:F5"})";
  const auto image = (dir / "creds.bin").string();
  auto built = run_process({espprov, "nvs-build", "--in", "-", "--out", image, "--mqtt-url", "mqtts://broker.lan:8884"},
                           record);
  INFO(built.err);
  REQUIRE(built.exit_code == 0);
  auto dumped = run_process({espprov, "nvs-dump", image});
  INFO(dumped.err);
  CHECK(dumped.out.find("mqtts://broker.lan:8884") != std::string::npos);
  auto refused = run_process({espprov, "nvs-build", "--in", "-", "--out", (dir / "bad.bin").string(), "--mqtt-url",
                              "mqtt://broker.lan:1883"},
                             record);
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("mqtt_url") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "bad.bin"));
}

}  // namespace connectivity_test
