#include "provision/loader/session.hpp"

#include <fmt/format.h>

#include "provision/serial/usb_ports.hpp"

namespace provision::loader {

asio::awaitable<Record> run_session(SessionOptions options, SessionStep step) {
  auto link = co_await serial::open_link(options.port, options.baud);
  if (options.trace) link->set_trace(options.trace);
  Loader device(*link, options.progress);
  device.set_timeouts(options.timeouts);
  co_await device.connect(connect_options_for(options.port, options.before, options.reset_sequence,
                                              options.connect_attempts, options.progress, options.sysfs_root));
  auto chip = co_await device.detect_chip();
  require_expected_chip(chip.facts, options.expected_chip, options.port);
  Record record = Record::object();
  record["port"] = options.port;
  merge_into(record, chip_fields(chip));
  // Secure Download Mode refuses READ_REG, so the MAC cannot be read: a step that can do without it (chip,
  // flash) runs without; the `mac` command (no step) fails with Error(secure_download).
  if (!device.secure_download() || !step) {
    auto mac = co_await device.read_mac();
    merge_into(record, device_mac_fields(mac));
    if (!device.eui64().empty()) record["eui64"] = device.eui64();
  }
  if (options.flash_baud != 0) co_await device.change_baud(options.flash_baud);
  Record step_fields = Record::object();
  if (step) co_await step(device, step_fields);
  if (device.flash_size()) record["flash_size"] = flash_size_text(*device.flash_size());
  merge_into(record, step_fields);
  co_await device.leave(options.after);
  co_return record;
}

ConnectOptions connect_options_for(const std::string& port, BeforeReset before, std::optional<ResetSequence> sequence,
                                   int attempts, const ProgressSink& progress, const std::string& sysfs_root) {
  ConnectOptions options{.before = before, .sequence = std::move(sequence), .attempts = attempts};
  if (options.sequence || before != BeforeReset::default_reset) return options;
  if (auto usb = serial::find_usb_serial_port(port, sysfs_root)) {
    options.before = before_for_port(before, usb->reset);
    if (options.before != before) {
      report(progress, {port, "loader", StepState::progress, 0,
                        fmt::format("{} is an Espressif USB-Serial/JTAG port ({:04x}:{:04x}): using {}", port,
                                    usb->vid, usb->pid, to_string(options.before))});
    }
  }
  return options;
}

}  // namespace provision::loader
