// rfc2217:// against an independent RFC 2217 server: ser2net (Debian's package, installed by scripts/setup) in
// front of a pseudo-terminal that the test holds.
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "provision/serial.hpp"
#include "support/process.hpp"

namespace rfc2217_test {

namespace serial = provision::serial;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

unsigned short free_loopback_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::string read_for(int fd, std::size_t want, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char buf[256];
      auto n = ::read(fd, buf, sizeof buf);
      if (n > 0) out.append(buf, static_cast<std::size_t>(n));
    }
  }
  return out;
}

bool pty_speed_becomes(int fd, speed_t speed, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    termios now{};
    if (::tcgetattr(fd, &now) == 0 && ::cfgetospeed(&now) == speed) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);  // polling the condition: termios has no change notification
  }
}

}  // namespace

TEST_CASE("link: rfc2217:// through ser2net sets the remote baud rate and carries 0xFF both ways", "[serial]") {
  int master = -1, slave = -1;
  char name[256];
  REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
  termios raw{};
  ::tcgetattr(slave, &raw);
  ::cfmakeraw(&raw);
  ::tcsetattr(slave, TCSANOW, &raw);
  auto port = free_loopback_port();
  test_support::BackgroundProcess server({"/usr/sbin/ser2net", "-n", "-u", "-Y", "connection: &c0", "-Y",
                                          "  accepter: telnet(rfc2217),tcp,127.0.0.1," + std::to_string(port), "-Y",
                                          std::string("  connector: serialdev,") + name + ",115200n81,local"});
  const std::string url = "rfc2217://127.0.0.1:" + std::to_string(port);

  std::string from_device = serial::run_blocking<std::string>([&]() -> asio::awaitable<std::string> {
    std::unique_ptr<serial::Link> link;
    for (int attempt = 0; attempt < 50 && !link; ++attempt) {  // ser2net needs a moment to listen
      bool refused = false;
      try {
        link = co_await serial::open_link(url, 921600);
      } catch (const provision::Error&) {
        refused = true;
      }
      if (refused) {
        asio::steady_timer pause(co_await asio::this_coro::executor, 100ms);
        co_await pause.async_wait(asio::use_awaitable);
      }
    }
    REQUIRE(link);
    CHECK(link->set_modem_lines(true, false));
    const std::uint8_t out[] = {'S', 0xFF, 0xC0, 'E'};
    co_await link->write(out);
    CHECK(read_for(master, 4, 3000ms) == std::string("S\xFF\xC0" "E"));
    CHECK(::write(master, "r\xFFz", 3) == 3);
    serial::Bytes got;
    std::uint8_t buf[64];
    while (got.size() < 3) {
      auto n = co_await link->read_some(buf, 3000ms);
      if (n == 0) break;
      got.insert(got.end(), buf, buf + n);
    }
    // ser2net applies the RFC 2217 SET-BAUDRATE on its own schedule, which the bytes above do not wait for: wait
    // for the pty's speed to change (or give up after 5 s), never for a fixed time. While the link is open: when
    // the connection closes ser2net closes the device and puts its settings back.
    CHECK(pty_speed_becomes(slave, B921600, 5000ms));
    co_return std::string(got.begin(), got.end());
  });
  CHECK(from_device == std::string("r\xFFz"));
  server.stop();
  ::close(master);
  ::close(slave);
}

}  // namespace rfc2217_test
