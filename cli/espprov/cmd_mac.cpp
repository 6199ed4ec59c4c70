// espprov mac: the device's MAC as a record ({"mac","mac_hex"}), from --mac text or read from a board's eFuse
// over its ROM loader (--port).
#include "command.hpp"
#include "loader_common.hpp"
#include "provision/identity.hpp"

namespace {
namespace cmd_mac {

struct MacOptions {
  espprov::LoaderFlags device;
  std::string mac;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<MacOptions>();
  auto* sub = app.add_subcommand("mac", "The MAC into the record (mac, mac_hex): parsed from --mac or read from --port");
  sub->footer(std::string("Examples:\n"
                          "  espprov mac --mac A0:B1:C2:D3:E4:F5\n"
                          "  espprov mac --mac a0-b1-c2-d3-e4-f5 --format csv\n"
                          "  espprov mac --port /dev/ttyUSB0 | espprov uuid --in -") +
              espprov::kLoaderHelp);
  auto* mac = sub->add_option("--mac", options->mac, "MAC as A0:B1:C2:D3:E4:F5, a0-b1-c2-d3-e4-f5 or A0B1C2D3E4F5");
  espprov::add_loader_flags(*sub, options->device, true);
  mac->excludes(sub->get_option("--port"));
  sub->callback([options, mac] {
    // A board to read: --port, or $ESPPORT when no --mac is given.
    if (!options->device.port.empty() || (mac->count() == 0 && !espprov::port_or_environment("").empty())) {
      espprov::run_loader_command(options->device, {});
      return;
    }
    if (mac->count() == 0) {  // an empty --mac "" is a bad value, checked by parse_mac
      throw provision::Error(provision::ErrorCode::usage, "mac needs --mac TEXT or -p/--port PORT (or $ESPPORT)",
                             "mac");
    }
    auto record = espprov::read_input_record(options->device.in);
    provision::merge_into(record, provision::mac_fields(provision::parse_mac(options->mac)));
    espprov::emit(record);
  });
}

const espprov::CommandRegistrar registrar{10, setup};

}  // namespace cmd_mac
}  // namespace
