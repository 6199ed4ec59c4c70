// What espprov wifi, info and pop share: the port options, running one device coroutine with an optional byte
// trace on stderr, and where a WiFi password may come from (so it need not be on the command line).
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>

#include "command.hpp"
#include "provision/serial.hpp"
#include "provision/wifi.hpp"

namespace espprov::wifi_cli {

namespace asio = boost::asio;
using Millis = std::chrono::milliseconds;

struct PortOptions {
  std::string port;
  unsigned baud = 115200;
  bool trace = false;
  double ready_timeout_s = 10;
};

inline Millis seconds(double s) { return Millis(static_cast<long long>(s * 1000)); }

inline void add_port_options(CLI::App& sub, PortOptions& options, bool with_trace = true) {
  sub.add_option("-p,--port", options.port, "Serial port of the running firmware (/dev/ttyUSB0, socket://h:p, "
                                             "rfc2217://h:p); default: the record's port, else $ESPPORT");
  sub.add_option("-b,--baud", options.baud, "Console baud rate")->capture_default_str();
  sub.add_option("--ready-timeout", options.ready_timeout_s,
                 "Seconds to wait for the firmware's console (+READY, or OK to AT)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  if (with_trace) {
    sub.add_flag("--trace", options.trace, "Print every byte to and from the device on stderr (passwords masked)");
  }
}

// The --port value, else the record's "port" field (the board the pipe is about), else $ESPPORT. Throws
// Error(usage) when none is there.
inline std::string port_of(const PortOptions& options, const provision::Record& record) {
  if (!options.port.empty()) return options.port;
  if (record.contains("port") && record["port"].is_string()) return record["port"].get<std::string>();
  if (const char* env = std::getenv("ESPPORT"); env && *env) return env;
  throw provision::Error(provision::ErrorCode::usage,
                         "--port: required (or a record with a \"port\" field on --in, or $ESPPORT)", "port");
}

// Opens the port and runs `body` on it to completion (one device, its own io_context).
template <typename T>
T run_on_port(const PortOptions& options, const std::string& port, std::function<asio::awaitable<T>(provision::serial::Link&)> body) {
  return provision::serial::run_blocking<T>([&]() -> asio::awaitable<T> {
    auto link = co_await provision::serial::open_link(port, options.baud);
    if (options.trace) {
      link->set_trace([name = port](provision::serial::Direction direction, std::span<const std::uint8_t> bytes) {
        std::cerr << provision::serial::format_trace(name, direction, bytes);
      });
    }
    co_return co_await body(*link);
  });
}

struct PasswordOptions {
  std::string password;
  std::string password_file;
  bool open = false;
};

void add_password_options(CLI::App& sub, PasswordOptions& options);

// The password from, in this order: --password, --password-file, $ESPPROV_WIFI_PASSWORD, the record's
// wifi_password; "" with --open. Throws Error(bad_input) naming where none was found.
std::string resolve_password(const PasswordOptions& options, const provision::Record& record);

// The --ssid value, or the record's wifi_ssid.
std::string resolve_ssid(const std::string& ssid, const provision::Record& record);

}  // namespace espprov::wifi_cli
