#include "loader_common.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <utility>

#include "command.hpp"
#include "port_filters.hpp"
#include "provision/identity.hpp"
#include "provision/serial.hpp"

namespace espprov {

// Shared by the loader commands' footer and provision's.
#define ESPPROV_PORT_BAUD_HELP                                                                                 \
  "-p/--port defaults to $ESPPORT and -b/--baud to $ESPBAUD; a flag wins over the variable (as esptool).\n"   \
  "The loader connects at --initial-baud (115200), then switches to -b/--baud for the operation;\n"          \
  "--flash-baud is a deprecated alias of --baud. -c/--chip esp32c3 refuses a board carrying another chip."

const char* const kPortBaudHelp = ESPPROV_PORT_BAUD_HELP;

const char* const kLoaderHelp =
    "\nPorts: /dev/ttyUSB0, /dev/ttyACM0, a pseudo-terminal, socket://host:port, rfc2217://host:port.\n"
    "--before default-reset (DTR/RTS auto-reset), usb-reset (USB-Serial/JTAG), no-reset (already in download\n"
    "mode). --after hard-reset (EN pulse; on a port without modem lines the ROM is asked to reboot), run-app,\n"
    "no-reset (stay in the loader). --trace prints every byte on stderr.\n"
    "On an Espressif USB-Serial/JTAG port (303a:1001) default-reset uses usb-reset. Connection attempts alternate\n"
    "GPIO0 holds of 50 and 500 ms; --reset-sequence 'D0|R1|W0.1|D1|R0|W0.05|D0' gives the lines yourself.\n"
    ESPPROV_PORT_BAUD_HELP;

void add_loader_flags(CLI::App& sub, LoaderFlags& flags, bool port_optional) {
  // The port may come from $ESPPORT: checked when the command runs (port_or_environment), not by the parser.
  sub.add_option("-p,--port", flags.port,
                 port_optional ? "Serial port or socket:// / rfc2217:// URL of the board"
                               : "Serial port or socket:// / rfc2217:// URL of the board (default: $ESPPORT)");
  sub.add_option("-b,--baud", flags.baud,
                 "Baud rate of the operation: the loader connects at --initial-baud, then switches to this "
                 "(default: $ESPBAUD, else 115200)");
  sub.add_option("--initial-baud", flags.initial_baud, "Baud rate of the ROM loader after reset (default: 115200)");
  sub.add_option("--flash-baud", flags.flash_baud, "Deprecated: use -b/--baud");
  sub.add_option("-c,--chip", flags.chip, "The chip the board must carry: auto, esp32, esp32s2, esp32s3, esp32c2, "
                                          "esp32c3, esp32c6, esp32h2")
      ->capture_default_str();
  sub.add_option("--before", flags.before, "How to enter the loader: default-reset, usb-reset, no-reset")
      ->check(CLI::IsMember({"default-reset", "usb-reset", "no-reset"}))
      ->capture_default_str();
  sub.add_option("--after", flags.after, "How to leave the loader: hard-reset, run-app, no-reset")
      ->check(CLI::IsMember({"hard-reset", "run-app", "no-reset"}))
      ->capture_default_str();
  sub.add_flag("--trace", flags.trace, "Byte-level trace of the serial line on stderr");
  add_reset_flags(sub, flags.reset_sequence, flags.connect_attempts);
  add_timeout_flags(sub, flags.erase_timeout_s, flags.first_packet_timeout_s);
  add_input_option(sub, flags.in);
  add_output_options(sub, true);
}

void add_reset_flags(CLI::App& sub, std::string& reset_sequence, int& connect_attempts) {
  sub.add_option("--reset-sequence", reset_sequence,
                 "DTR/RTS sequence instead of --before, esptool notation: 'D0|R1|W0.1|D1|R0|W0.05|D0'");
  sub.add_option("--connect-attempts", connect_attempts, "Reset + SYNC rounds before giving up (0 = forever)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
}

void add_timeout_flags(CLI::App& sub, double& erase_s, double& first_packet_s) {
  sub.add_option("--erase-timeout", erase_s, "Seconds the flash erase of a write may take (default: 30 s per MB)")
      ->check(CLI::Range(0.0, 3600.0));
  sub.add_option("--first-packet-timeout", first_packet_s,
                 "Seconds for the first flash data packet (default: as the others)")
      ->check(CLI::Range(0.0, 3600.0));
}

provision::loader::OperationTimeouts operation_timeouts(double erase_s, double first_packet_s) {
  provision::loader::OperationTimeouts timeouts;
  auto millis = [](double s) { return provision::serial::Millis(static_cast<long long>(s * 1000)); };
  if (erase_s > 0) timeouts.erase = millis(erase_s);
  if (first_packet_s > 0) timeouts.first_packet = millis(first_packet_s);
  return timeouts;
}

std::optional<provision::loader::ResetSequence> reset_sequence_of(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return provision::loader::parse_reset_sequence(text);
}

namespace {
namespace loader_common {

// What a loader command checks before it opens the port: the port (flag, else $ESPPORT: filled into `flags`), the
// chip choice, and the rates.
LoaderRates checked_flags(LoaderFlags& flags) {
  flags.port = port_or_environment(flags.port);
  if (flags.port.empty()) {
    throw provision::Error(provision::ErrorCode::usage,
                           "port: give the board with -p/--port PORT (or set $ESPPORT)", "port");
  }
  provision::loader::require_chip_choice(flags.chip);
  return resolve_rates(flags.baud, flags.initial_baud, flags.flash_baud, 115200);
}

// The record's MAC, when it names a board ("mac"); empty otherwise.
std::string record_mac(const provision::Record& record) {
  auto it = record.find("mac");
  if (it == record.end() || !it->is_string() || it->get<std::string>().empty()) return {};
  return provision::mac_colon(provision::parse_mac(it->get<std::string>()));
}

// Wraps `step` so that it runs only on the board the record names.
provision::loader::SessionStep on_board(std::string expected_mac, std::string port,
                                        provision::loader::SessionStep step) {
  if (expected_mac.empty()) return step;
  return [expected_mac, port, step](provision::loader::Loader& loader,
                                    provision::Record& fields) -> boost::asio::awaitable<void> {
    const std::string found = provision::mac_colon(co_await loader.read_mac());
    if (found != expected_mac) {
      throw provision::Error(provision::ErrorCode::wrong_board,
                             fmt::format("the board on {} has MAC {}, but the input record is for {}; nothing was "
                                         "done to it (connect that board, or run the pipe again for this one)",
                                         port, found, expected_mac),
                             "mac");
    }
    if (step) co_await step(loader, fields);
  };
}

}  // namespace loader_common
using namespace loader_common;
}  // namespace

void run_loader_command(const LoaderFlags& flags, const provision::loader::SessionStep& step) {
  run_loader_command(flags, read_input_record(flags.in), step);
}

LoaderRates resolve_rates(unsigned baud, unsigned initial_baud, unsigned flash_baud, unsigned default_operation) {
  LoaderRates rates;
  if (flash_baud != 0) {
    static bool warned = false;  // once per run, however many boards
    if (!std::exchange(warned, true)) {
      report_warning("--flash-baud is deprecated: -b/--baud now sets the flashing rate (as esptool) and "
                     "--initial-baud the rate the loader is reached at");
    }
    rates.operation = flash_baud;
    rates.initial = initial_baud ? initial_baud : (baud ? baud : rates.initial);  // --baud's old meaning
    return rates;
  }
  if (initial_baud) rates.initial = initial_baud;
  rates.operation = default_operation;
  if (baud) {
    rates.operation = baud;
  } else if (const char* env = std::getenv("ESPBAUD"); env && *env) {
    std::string text = env;
    std::size_t used = 0;
    unsigned long value = 0;
    try {
      value = std::stoul(text, &used, 10);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || value < 300 || value > 10000000) {
      throw provision::Error(provision::ErrorCode::bad_input,
                             fmt::format("baud: $ESPBAUD '{}' is not a baud rate (300..10000000); fix or unset it, "
                                         "or give -b/--baud",
                                         text),
                             "baud");
    }
    rates.operation = static_cast<unsigned>(value);
  }
  return rates;
}

std::string port_or_environment(const std::string& port) {
  if (!port.empty()) return port;
  const char* env = std::getenv("ESPPORT");
  return env ? std::string(env) : std::string();
}

void run_loader_command(const LoaderFlags& given, provision::Record record,
                        const provision::loader::SessionStep& step) {
  LoaderFlags flags = given;
  const auto rates = checked_flags(flags);
  provision::loader::SessionOptions options;
  options.port = flags.port;
  options.baud = rates.initial;
  options.flash_baud = rates.operation == rates.initial ? 0 : rates.operation;
  options.expected_chip = flags.chip;
  options.before = provision::loader::parse_before_reset(flags.before);
  options.after = provision::loader::parse_after_reset(flags.after);
  options.reset_sequence = reset_sequence_of(flags.reset_sequence);
  options.connect_attempts = flags.connect_attempts;
  options.sysfs_root = sysfs_root();
  options.timeouts = operation_timeouts(flags.erase_timeout_s, flags.first_packet_timeout_s);
  options.progress = with_warnings(progress_sink());
  if (flags.trace) {
    options.trace = [port = flags.port](provision::serial::Direction direction,
                                        std::span<const std::uint8_t> bytes) {
      std::cerr << provision::serial::format_trace(port, direction, bytes);
    };
  }
  auto fields = provision::serial::run_blocking<provision::Record>(
      [&]() { return provision::loader::run_session(options, on_board(record_mac(record), flags.port, step)); });
  provision::merge_into(record, fields);
  emit(record);
}

void check_port_opens(const std::string& port, unsigned baud) {
  provision::serial::run_blocking<bool>([&]() -> boost::asio::awaitable<bool> {
    auto link = co_await provision::serial::open_link(port, baud);
    co_return link != nullptr;
  });
}

void run_loader_dry_run(const LoaderFlags& given, provision::Record record, std::vector<std::string> checks) {
  LoaderFlags flags = given;
  const auto rates = checked_flags(flags);
  reset_sequence_of(flags.reset_sequence);
  const std::string& port = flags.port;
  check_port_opens(port, rates.initial);
  checks.push_back("port_opens");
  provision::Record out = provision::Record::object();
  out["ok"] = true;
  out["dry_run"] = true;
  for (auto& [key, value] : record.items()) {
    if (key != "ok" && key != "dry_run") out[key] = value;
  }
  out["checked"] = checks;
  out["port"] = port;
  out["baud"] = rates.operation;
  emit(out);
}

std::uint32_t parse_u32(const std::string& text, const std::string& field) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || value > 0xFFFFFFFFull || text[0] == '-') {
    throw provision::Error(provision::ErrorCode::bad_input,
                           fmt::format("--{} '{}' is not a number; give hex (0x3F0000) or decimal, at most "
                                       "0xFFFFFFFF",
                                       field, text),
                           field);
  }
  return static_cast<std::uint32_t>(value);
}

}  // namespace espprov
