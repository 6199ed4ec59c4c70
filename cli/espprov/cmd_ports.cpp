// espprov ports: the USB serial ports of this machine, which bridge each one is and how its board is reset.
#include <cstdlib>
#include <iostream>

#include "command.hpp"
#include "port_filters.hpp"
#include "provision/serial/usb_ports.hpp"

namespace {
namespace cmd_ports {

void setup(CLI::App& app) {
  auto filters = std::make_shared<espprov::UsbFilterFlags>();
  auto esp_only = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("ports", "List USB serial ports: stable names, USB identity, bridge, reset method");
  sub->footer(
      "Examples:\n"
      "  espprov ports\n"
      "  espprov ports --format csv\n"
      "  espprov ports --esp-only --usb-vid-pid 303a:1001 --format text\n"
      "\nOne record per port: path, by_id, by_path, vid, pid, vid_pid, manufacturer, product, serial, location\n"
      "(USB bus-port path), interface, driver, bridge (cp210x, ch34x, ftdi, usb-serial-jtag, unknown) and reset\n"
      "(the --before the bridge implies); --format text is a table. Read from sysfs; $ESPPROV_SYSFS_ROOT reads another root (a container's\n"
      "bind mount, a recorded tree). No USB serial port: no records, exit 0.");
  sub->add_flag("--esp-only", *esp_only, "Only bridges found on ESP32 boards (what provision --ports auto takes)");
  espprov::add_usb_filter_flags(*sub, *filters);
  espprov::add_output_options(*sub);
  sub->callback([filters, esp_only] {
    auto filter = espprov::usb_filter(*filters);
    std::vector<provision::Record> rows;
    for (const auto& port : provision::serial::list_usb_serial_ports(espprov::sysfs_root())) {
      if (*esp_only && !port.esp_bridge()) continue;
      if (!filter.matches(port)) continue;
      rows.push_back(provision::serial::port_fields(port));
    }
    espprov::emit_many(rows, provision::csv_columns({provision::serial::port_fields({})}));
  });
}

const espprov::CommandRegistrar registrar{58, setup};

}  // namespace cmd_ports
}  // namespace
