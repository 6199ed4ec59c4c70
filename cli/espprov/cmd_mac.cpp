// espprov mac: the device's MAC as a record ({"mac","mac_hex"}), from --mac text.
#include "command.hpp"
#include "provision/identity.hpp"

namespace {

struct MacOptions {
  std::string in;
  std::string mac;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<MacOptions>();
  auto* sub = app.add_subcommand("mac", "Parse a MAC address into the record (mac, mac_hex)");
  sub->footer(
      "Examples:\n"
      "  espprov mac --mac A0:B1:C2:D3:E4:F5\n"
      "  espprov mac --mac a0-b1-c2-d3-e4-f5 --format csv");
  sub->add_option("--mac", options->mac, "MAC as A0:B1:C2:D3:E4:F5, a0-b1-c2-d3-e4-f5 or A0B1C2D3E4F5")->required();
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub);
  sub->callback([options] {
    auto record = espprov::read_input_record(options->in);
    provision::merge_into(record, provision::mac_fields(provision::parse_mac(options->mac)));
    espprov::emit(record);
  });
}

const espprov::CommandRegistrar registrar{10, setup};

}  // namespace
