// Flags and the run loop shared by the subcommands that talk to a board's ROM loader (chip, mac --port, flash,
// read-flash, erase-region, reset).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "provision/loader/session.hpp"

namespace espprov {

struct LoaderFlags {
  std::string port;               // -p/--port, else $ESPPORT
  unsigned baud = 0;              // -b/--baud, else $ESPBAUD, else 115200: the rate the operation runs at
  unsigned initial_baud = 0;      // --initial-baud, else 115200: the ROM's rate after reset
  unsigned flash_baud = 0;        // --flash-baud: deprecated alias of --baud (see resolve_rates)
  std::string chip = "auto";      // -c/--chip
  std::string before = "default-reset";
  std::string after = "hard-reset";
  bool trace = false;
  std::string in;
  std::string reset_sequence;  // esptool notation, instead of --before
  int connect_attempts = 7;    // 0 = until the board answers
  double erase_timeout_s = 0;         // 0 = the command table's
  double first_packet_timeout_s = 0;  // 0 = the command table's
};

// -p/--port (required, or $ESPPORT, unless `port_optional`), -b/--baud, --initial-baud, --flash-baud, -c/--chip,
// --before, --after, --trace, --in, output and progress options.
void add_loader_flags(CLI::App& sub, LoaderFlags& flags, bool port_optional = false);

// The rates as esptool has them: connect at the initial rate, then CHANGE_BAUDRATE to the operation's.
struct LoaderRates {
  unsigned initial = 115200;
  unsigned operation = 115200;
};
// -b/--baud wins over $ESPBAUD, which wins over `default_operation`. --flash-baud (deprecated, one warning per
// run) keeps its old meaning: the flashing rate, with --baud the initial one, so station scripts keep working.
// Throws Error(bad_input, "baud") for an $ESPBAUD that is not a rate.
LoaderRates resolve_rates(unsigned baud, unsigned initial_baud, unsigned flash_baud, unsigned default_operation);
// -p/--port, else $ESPPORT, else "" (the caller decides whether that is an error).
std::string port_or_environment(const std::string& port);
// -p/--port, -b/--baud, -c/--chip and $ESPPORT/$ESPBAUD as --help explains them.
extern const char* const kPortBaudHelp;

// --reset-sequence and --connect-attempts (loader commands and provision).
void add_reset_flags(CLI::App& sub, std::string& reset_sequence, int& connect_attempts);
// --erase-timeout and --first-packet-timeout (seconds; 0 = the defaults).
void add_timeout_flags(CLI::App& sub, double& erase_s, double& first_packet_s);
provision::loader::OperationTimeouts operation_timeouts(double erase_s, double first_packet_s);
// Parsed --reset-sequence; nullopt when empty. Throws Error(bad_input, "reset-sequence").
std::optional<provision::loader::ResetSequence> reset_sequence_of(const std::string& text);

// Reads --in, runs the session with `step`, merges and prints the record.
void run_loader_command(const LoaderFlags& flags, const provision::loader::SessionStep& step);
// The same with the input record already read (a step that also takes a file reads the record first, so that it
// waits for the upstream step to finish writing that file). When the record names a board ("mac"), the board on
// the port must be that board: Error(wrong_board) before the step touches it.
void run_loader_command(const LoaderFlags& flags, provision::Record record, const provision::loader::SessionStep& step);

// Opens `port` and closes it, as every serial tool does before it talks: nothing is written, no modem line is
// changed. Throws the open's Error (port_not_found, port_busy, ...).
void check_port_opens(const std::string& port, unsigned baud);
// --dry-run of a loader command: every check the command makes before it talks to the board (the port given or in
// $ESPPORT, -c/--chip, the rates and $ESPBAUD, --reset-sequence), then the port is opened and closed: no reset, no
// modem line changed, no byte sent. Prints `record` with "dry_run":true, "checked" (`checks` plus "port_opens"),
// "port" and "baud" (the operation's rate).
void run_loader_dry_run(const LoaderFlags& flags, provision::Record record, std::vector<std::string> checks);

// "0x3F0000" or "4128768"; throws Error(bad_input, field) naming the value.
std::uint32_t parse_u32(const std::string& text, const std::string& field);

// Common --help footer lines on ports, resets and tracing.
extern const char* const kLoaderHelp;

}  // namespace espprov
