// A local serial port: a USB-UART bridge, a native USB-Serial/JTAG port, or a pseudo-terminal.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <boost/asio/serial_port.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

#include "serial_links.hpp"
#include "timed_read.hpp"

namespace provision::serial {
namespace {

std::string open_hint(int error) {
  switch (error) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return "no such port: is the board plugged in? (ls /dev/ttyUSB* /dev/ttyACM*)";
    case EACCES:
    case EPERM:
      return "permission denied: add the user to the 'dialout' group (then log in again)";
    case EBUSY:
    case EWOULDBLOCK:
      return "the port is busy: another program (a serial monitor, another espprov) holds it";
    default:
      return std::strerror(error);
  }
}

class SerialPortLink final : public Link {
 public:
  SerialPortLink(asio::any_io_executor executor, std::string name, unsigned baud)
      : port_(executor), reader_(port_), name_(std::move(name)) {
    boost::system::error_code ec;
    port_.open(name_, ec);
    if (ec) fail_open(ec.value());
    // Exclusive use, like pyserial's exclusive=True: two stations on one board corrupt each other's frames.
    if (::flock(port_.native_handle(), LOCK_EX | LOCK_NB) != 0) fail_open(errno);
    configure(baud);
  }

  asio::awaitable<std::size_t> read_some(std::span<std::uint8_t> buffer, Millis timeout) override {
    boost::system::error_code ec;
    std::size_t n = co_await reader_.read_some(buffer, timeout, ec);
    if (ec) throw Error(ErrorCode::port_unavailable, "port " + name_ + ": read failed: " + ec.message(), "port");
    trace(Direction::from_device, buffer.first(n));
    co_return n;
  }

  asio::awaitable<void> write(std::span<const std::uint8_t> bytes, const SecretRanges& secrets) override {
    trace_write(bytes, secrets);
    boost::system::error_code ec;
    co_await asio::async_write(port_, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) throw Error(ErrorCode::port_unavailable, "port " + name_ + ": write failed: " + ec.message(), "port");
  }

  void set_baud(unsigned baud) override {
    boost::system::error_code ec;
    port_.set_option(asio::serial_port_base::baud_rate(baud), ec);
    if (ec) {
      throw Error(ErrorCode::bad_input,
                  "baud: " + std::to_string(baud) + " is not supported by port " + name_ + ": " + ec.message(),
                  "baud");
    }
    baud_ = baud;
  }
  unsigned baud() const override { return baud_; }

  bool set_modem_lines(std::optional<bool> dtr, std::optional<bool> rts) override {
    int fd = port_.native_handle();
    int set = 0, clear = 0;
    if (dtr) (*dtr ? set : clear) |= TIOCM_DTR;
    if (rts) (*rts ? set : clear) |= TIOCM_RTS;
    // Both lines in one call where possible: some bridges glitch EN when they change one at a time.
    int lines = 0;
    if (::ioctl(fd, TIOCMGET, &lines) != 0) return false;
    lines = (lines | set) & ~clear;
    return ::ioctl(fd, TIOCMSET, &lines) == 0;
  }

  void discard_input() override { ::tcflush(port_.native_handle(), TCIFLUSH); }
  const std::string& name() const override { return name_; }

 private:
  [[noreturn]] void fail_open(int error) {
    throw Error(ErrorCode::port_unavailable, "port " + name_ + ": cannot open: " + open_hint(error), "port");
  }

  void configure(unsigned baud) {
    using base = asio::serial_port_base;
    boost::system::error_code ec;
    port_.set_option(base::character_size(8), ec);
    if (!ec) port_.set_option(base::parity(base::parity::none), ec);
    if (!ec) port_.set_option(base::stop_bits(base::stop_bits::one), ec);
    if (!ec) port_.set_option(base::flow_control(base::flow_control::none), ec);
    if (ec) throw Error(ErrorCode::port_unavailable, "port " + name_ + ": cannot configure 8N1: " + ec.message(), "port");
    set_baud(baud);
  }

  asio::serial_port port_;
  detail::TimedReader<asio::serial_port> reader_;
  std::string name_;
  unsigned baud_ = 0;
};

}  // namespace

std::unique_ptr<Link> open_serial_port_link(asio::any_io_executor executor, const std::string& path, unsigned baud) {
  return std::make_unique<SerialPortLink>(std::move(executor), path, baud);
}

}  // namespace provision::serial
