// The transport layer: a byte link to one device. The only part of libprovision (with the CA client) that touches
// Asio. A link is a local serial port (/dev/ttyUSB0, /dev/ttyACM0, a pseudo-terminal) or a TCP connection to a
// remote port server (socket://host:port raw, rfc2217://host:port telnet with the COM-PORT option, RFC 2217).
//
// Every operation is an Asio coroutine, so one thread (one io_context) drives many devices; a timeout is part of
// each read, never a sleep. run_blocking() runs one coroutine to completion for single-device commands.
#pragma once

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provision/error.hpp"
#include "provision/serial/port_url.hpp"

namespace provision::serial {

namespace asio = boost::asio;
using Bytes = std::vector<std::uint8_t>;
using Millis = std::chrono::milliseconds;

enum class Direction { to_device, from_device };

// Byte-level trace for --trace. The link reports every byte it writes and reads; the bytes are already masked
// (those inside a write's secret ranges are replaced by '*'), so a trace sink can print them as they are.
using TraceSink = std::function<void(Direction, std::span<const std::uint8_t> bytes)>;

// [begin, end) byte ranges of a write that hold a secret (a WiFi password): masked in the trace.
using SecretRanges = std::vector<std::pair<std::size_t, std::size_t>>;

// Prints a trace line: "<port> >> 0000: c0 00 08 ... |....|" (hex + printable), for the CLI's --trace.
std::string format_trace(std::string_view port, Direction direction, std::span<const std::uint8_t> bytes);

class Link {
 public:
  virtual ~Link() = default;

  // Reads what is available, waiting at most `timeout` for the first byte. Returns 0 bytes on timeout (not an
  // error: a silent device is the caller's to judge). Throws Error(port_unavailable) if the port is gone.
  virtual asio::awaitable<std::size_t> read_some(std::span<std::uint8_t> buffer, Millis timeout) = 0;
  // Writes all bytes. Throws Error(port_unavailable) on failure.
  virtual asio::awaitable<void> write(std::span<const std::uint8_t> bytes, const SecretRanges& secrets = {}) = 0;
  // Changes the host side's baud rate (the device's is changed by the protocol first).
  virtual void set_baud(unsigned baud) = 0;
  virtual unsigned baud() const = 0;
  // Sets DTR and/or RTS (true = asserted, i.e. the line driven low on a USB-UART). Returns false when the link
  // has no modem lines (a pseudo-terminal, a raw socket): the caller warns and goes on.
  virtual bool set_modem_lines(std::optional<bool> dtr, std::optional<bool> rts) = 0;
  // Drops bytes received but not yet read (after a reset, a host flushes its input).
  virtual void discard_input() = 0;
  // The --port value this link was opened from, for messages and progress.
  virtual const std::string& name() const = 0;

  void set_trace(TraceSink sink) { trace_ = std::move(sink); }
  // While on, bytes read are traced as '*' (line ends kept): for the answer to a command whose reply is a
  // secret (AT+POP?).
  void mask_reads(bool on) { mask_reads_ = on; }

  // Convenience: sleep on the link's executor (reset sequences need real delays between line changes).
  asio::awaitable<void> delay(Millis duration);

 protected:
  void trace(Direction direction, std::span<const std::uint8_t> bytes) const;
  void trace_write(std::span<const std::uint8_t> bytes, const SecretRanges& secrets) const;

 private:
  TraceSink trace_;
  bool mask_reads_ = false;
};

// Opens a link for `url` at `baud` (8N1, no flow control, raw) on the calling coroutine's executor. A local port
// is locked (flock) so two stations never drive one board. Throws Error(port_unavailable) naming the port and the
// system's reason, with a hint (permissions: the dialout group; busy: another program holds it), or
// Error(bad_input, "port") for a malformed URL. TCP links connect within `connect_timeout`.
asio::awaitable<std::unique_ptr<Link>> open_link(std::string url, unsigned baud, Millis connect_timeout = Millis(5000));

// Runs one coroutine on its own io_context until it completes; rethrows what it threw.
template <typename T>
T run_blocking(std::function<asio::awaitable<T>()> make) {
  asio::io_context io;
  auto future = asio::co_spawn(io, make(), asio::use_future);
  io.run();
  return future.get();
}

}  // namespace provision::serial
