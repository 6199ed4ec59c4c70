// espprov info: what the running firmware reports about itself (AT+INFO?, or Improv's device info).
#include <fmt/format.h>

#include "cmd_wifi_common.hpp"
#include "provision/wifi_transport.hpp"
#include "record_stream.hpp"

namespace {
namespace cmd_info {

namespace wifi = provision::wifi;
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

Record info_of(const InfoOptions& options, Record record) {
  const std::string port = port_of(options.port, record);
  wifi::TransportOptions transport;
  transport.protocol = wifi::parse_protocol(options.protocol, "protocol");
  transport.at.ready_timeout = seconds(options.port.ready_timeout_s);
  std::optional<wifi::DeviceInfo> at_info;
  auto fields = run_on_port<Record>(options.port, port, [&](provision::serial::Link& link) {
    return wifi::device_info_over(link, transport, &at_info);
  });
  if (at_info) check_identity(record, *at_info);
  Record added = Record::object();
  added["port"] = port;
  provision::merge_into(added, fields);
  provision::merge_into(record, added);
  return record;
}

// One record per board on --in (each naming its port) checks each board in turn.
void run(const InfoOptions& options) {
  const auto records = espprov::read_input_records(options.in);
  espprov::require_port_per_record(records, options.port.port, "info");
  espprov::for_each_record(records, [&](Record record) { return info_of(options, std::move(record)); });
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
  sub->add_option("--protocol", options->protocol,
                  "at (AT+INFO?), improv (Improv device info), auto (Improv if it answers, else AT)")
      ->check(CLI::IsMember({"at", "improv", "auto"}))
      ->capture_default_str();
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub, true);
  sub->callback([options] { run(*options); });
}

const espprov::CommandRegistrar registrar{72, setup};

}  // namespace cmd_info
}  // namespace
