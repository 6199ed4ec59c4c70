// espprov mqtt-check: the connectivity step alone, on a board that is already provisioned and on WiFi.
#include <boost/asio/this_coro.hpp>

#include "cmd_wifi_common.hpp"
#include "mqtt_options.hpp"
#include "provision/mqtt_check.hpp"
#include "provision/wait_notices.hpp"

namespace {
namespace cmd_mqtt_check {

namespace wifi = provision::wifi;
namespace mqtt = provision::mqtt;
using namespace espprov::wifi_cli;
using provision::Record;

struct MqttCheckOptions {
  PortOptions port;
  espprov::MqttCliOptions mqtt;
  std::string in;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<MqttCheckOptions>();
  auto* sub = app.add_subcommand("mqtt-check", "Check that a provisioned board talks MQTT to the broker as itself");
  sub->footer(
      "The board must report (AT+MQTT?) that it is connected with its own certificate, and the station, with its\n"
      "operator certificate, must receive the board's birth message on\n"
      "customer/{custId}/location/{locId}/device/{uuid}/telemetry. Adds mqtt {connected, topic, seconds}.\n"
      "Exit codes: 80 TLS, 81 authentication, 82 network, 83 timeout (README.md).\n"
      "Example:\n"
      "  espprov mqtt-check --port /dev/ttyUSB0 --mqtt-url mqtts://broker:8883 --mqtt-ca ca.pem \\\n"
      "    --mqtt-cert station.pem --mqtt-key station.key");
  add_port_options(*sub, options->port);
  espprov::add_mqtt_options(*sub, options->mqtt);
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub, true);
  sub->callback([options] {
    auto record = espprov::read_input_record(options->in);
    const std::string port = port_of(options->port, record);
    espprov::MqttCliOptions given = options->mqtt;
    if (given.url.empty() && record.contains("mqtt_url") && record["mqtt_url"].is_string()) {
      given.url = record["mqtt_url"].get<std::string>();
    }
    if (given.url.empty()) {
      throw provision::Error(provision::ErrorCode::usage, "--mqtt-url: required (or a record with mqtt_url on --in)",
                             "mqtt-url");
    }
    const auto connectivity = *espprov::to_connectivity_options(given, "");
    auto added = run_on_port<Record>(options->port, port, [&](provision::serial::Link& link) -> asio::awaitable<Record> {
      co_await wifi::wait_ready(link, seconds(options->port.ready_timeout_s));
      auto device = co_await wifi::info(link);
      Record identity = Record::object();
      identity["uuid"] = device.uuid;
      auto executor = co_await asio::this_coro::executor;
      provision::WaitNotices notices(executor, espprov::progress_sink(), {link.name(), "mqtt-check", "MQTT"});
      auto result = co_await mqtt::check_connectivity(link, connectivity, identity);
      Record out = result.fields();
      out["uuid"] = device.uuid;
      co_return out;
    });
    added["port"] = port;
    provision::merge_into(record, added);
    espprov::emit(record);
  });
}

const espprov::CommandRegistrar registrar{74, setup};

}  // namespace cmd_mqtt_check
}  // namespace
