// One loader session for a single-board command: open the port, reset into the loader and SYNC, detect the chip,
// read the MAC (not in Secure Download Mode when a step runs), optionally raise the baud rate, run a step, leave. The record carries port, chip, mac, mac_hex,
// features (and flash_size when the step touched the flash) plus what the step adds.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "provision/loader.hpp"
#include "provision/loader/regions.hpp"

namespace provision::loader {

struct SessionOptions {
  std::string port;
  unsigned baud = 115200;   // the rate the ROM is reached at after reset (--initial-baud)
  unsigned flash_baud = 0;  // CHANGE_BAUDRATE to this after connecting (--baud); 0 = stay at `baud`
  std::string expected_chip = "auto";  // --chip: the detected chip must be this one (see require_expected_chip)
  BeforeReset before = BeforeReset::default_reset;  // on a 303a:1001 port default-reset means usb-reset
  std::optional<ResetSequence> reset_sequence;      // --reset-sequence, instead of `before`
  int connect_attempts = 7;                         // 0 = until the board answers
  std::string sysfs_root = "/";                     // where the port's USB bridge is looked up
  OperationTimeouts timeouts;                       // --erase-timeout, --first-packet-timeout
  AfterReset after = AfterReset::hard_reset;
  serial::TraceSink trace;  // byte-level trace, when set
  ProgressSink progress;
};

// The step adds its fields to the record; the loader is connected, the chip detected, the MAC read.
using SessionStep = std::function<asio::awaitable<void>(Loader& loader, Record& record)>;

asio::awaitable<Record> run_session(SessionOptions options, SessionStep step);

// The connect options for a port: `before` becomes usb-reset on an Espressif USB-Serial/JTAG port (read from sysfs
// under `sysfs_root`), reported through `progress` when it changes.
ConnectOptions connect_options_for(const std::string& port, BeforeReset before, std::optional<ResetSequence> sequence,
                                   int attempts, const ProgressSink& progress, const std::string& sysfs_root = "/");

}  // namespace provision::loader
