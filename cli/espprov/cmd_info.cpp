// espprov info: what the running firmware reports about itself (AT+INFO?, or Improv's device info).
#include <fmt/format.h>

#include "cmd_wifi_common.hpp"
#include "provision/improv.hpp"

namespace {

namespace wifi = provision::wifi;
namespace improv = provision::improv;
using namespace espprov::wifi_cli;
using provision::Record;

struct InfoOptions {
  PortOptions port;
  std::string in;
  std::string protocol = "at";
};

// A record that names a uuid (from the uuid step) must describe this device: a board that reports another one
// was flashed with someone else's credentials.
void check_identity(const Record& record, const wifi::DeviceInfo& info) {
  if (!record.contains("uuid") || !record["uuid"].is_string()) return;
  const auto expected = record["uuid"].get<std::string>();
  if (expected == info.uuid) return;
  throw provision::Error(provision::ErrorCode::identity_mismatch,
                         fmt::format("uuid: the device reports '{}', the record says '{}'; the board holds other "
                                     "credentials (re-run nvs-build and flash for this board)",
                                     info.uuid.empty() ? "(none)" : info.uuid, expected),
                         "uuid");
}

void run(const InfoOptions& options) {
  auto record = espprov::read_input_record(options.in);
  const std::string port = port_of(options.port, record);
  const bool over_improv = options.protocol == "improv";
  std::optional<wifi::DeviceInfo> at_info;
  auto fields = run_on_port<Record>(options.port, port, [&](provision::serial::Link& link) -> asio::awaitable<Record> {
    if (over_improv) {
      improv::Client client(link);
      co_return improv::info_fields(co_await client.device_info());
    }
    co_await wifi::wait_ready(link, seconds(options.port.ready_timeout_s));
    at_info = co_await wifi::info(link);
    co_return wifi::info_fields(*at_info);
  });
  if (at_info) check_identity(record, *at_info);
  Record added = Record::object();
  added["port"] = port;
  provision::merge_into(added, fields);
  provision::merge_into(record, added);
  espprov::emit(record);
}

void setup(CLI::App& app) {
  auto options = std::make_shared<InfoOptions>();
  auto* sub = app.add_subcommand("info", "Ask the running firmware who it is (version, chip, MAC, UUID, credentials)");
  sub->footer(
      "AT: fw_name, fw_version, chip, mac, uuid, credentials, cert, wifi_state, wifi_saved. With --in, a record\n"
      "whose uuid differs from the device's fails with identity_mismatch (exit 57).\n"
      "Improv: fw_name, fw_version, chip_family, device_name.\n"
      "Examples:\n"
      "  espprov info --port /dev/ttyUSB0\n"
      "  espprov info --port /dev/ttyUSB0 --protocol improv --format text\n"
      "  espprov uuid --mac A0B1C2D3E4F5 | espprov info --port /dev/ttyUSB0 --in -");
  add_port_options(*sub, options->port);
  sub->add_option("--protocol", options->protocol, "at (AT+INFO?) or improv (Improv device info)")
      ->check(CLI::IsMember({"at", "improv"}))
      ->capture_default_str();
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub);
  sub->callback([options] { run(*options); });
}

const espprov::CommandRegistrar registrar{72, setup};

}  // namespace
