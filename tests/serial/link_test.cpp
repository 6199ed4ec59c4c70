// The transport over real pseudo-terminals and real loopback sockets.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "provision/serial.hpp"

namespace link_test {

namespace serial = provision::serial;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct Pty {
  int master = -1;
  int slave = -1;
  std::string path;
  Pty() {
    char name[256];
    REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
    path = name;
    termios raw{};
    ::tcgetattr(slave, &raw);
    ::cfmakeraw(&raw);
    ::tcsetattr(slave, TCSANOW, &raw);
  }
  ~Pty() {
    ::close(master);
    ::close(slave);
  }
  std::string read_master(std::size_t want, std::chrono::milliseconds timeout = 2000ms) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char buf[256];
        auto n = ::read(master, buf, sizeof buf);
        if (n > 0) out.append(buf, static_cast<std::size_t>(n));
      }
    }
    return out;
  }
};

std::string as_string(const serial::Bytes& b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST_CASE("link: bytes cross a pseudo-terminal both ways, and a silent device reads as 0 bytes", "[serial]") {
  Pty pty;
  auto got = serial::run_blocking<std::string>([&]() -> asio::awaitable<std::string> {
    auto link = co_await serial::open_link(pty.path, 115200);
    const std::string hello = "AT\r\n";
    co_await link->write(std::span(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()));
    std::uint8_t buf[64];
    auto start = std::chrono::steady_clock::now();
    auto none = co_await link->read_some(buf, 150ms);
    auto waited = std::chrono::steady_clock::now() - start;
    CHECK(none == 0);
    CHECK(waited >= 140ms);
    CHECK(::write(pty.master, "OK\r\n", 4) == 4);
    serial::Bytes all;
    while (all.size() < 4) {
      auto n = co_await link->read_some(buf, 1000ms);
      if (n == 0) break;
      all.insert(all.end(), buf, buf + n);
    }
    co_return as_string(all);
  });
  CHECK(got == "OK\r\n");
  CHECK(pty.read_master(4) == "AT\r\n");
}

TEST_CASE("link: a pseudo-terminal has no modem lines, and baud changes apply", "[serial]") {
  Pty pty;
  serial::run_blocking<int>([&]() -> asio::awaitable<int> {
    auto link = co_await serial::open_link(pty.path, 115200);
    CHECK_FALSE(link->set_modem_lines(true, false));
    link->set_baud(921600);
    CHECK(link->baud() == 921600);
    termios t{};
    ::tcgetattr(pty.slave, &t);
    CHECK(::cfgetospeed(&t) == B921600);
    co_return 0;
  });
}

TEST_CASE("link: a port cannot be opened twice, and a missing port names the fix", "[serial]") {
  Pty pty;
  serial::run_blocking<int>([&]() -> asio::awaitable<int> {
    auto first = co_await serial::open_link(pty.path, 115200);
    try {
      auto second = co_await serial::open_link(pty.path, 115200);
      FAIL("opened twice");
    } catch (const provision::Error& e) {
      CHECK(e.code() == provision::ErrorCode::port_unavailable);
      CHECK_THAT(e.what(), Catch::Contains("busy"));
    }
    try {
      auto missing = co_await serial::open_link("/dev/ttyUSB-espprov-none", 115200);
      FAIL("opened a missing port");
    } catch (const provision::Error& e) {
      CHECK(e.code() == provision::ErrorCode::port_unavailable);
      CHECK_THAT(e.what(), Catch::Contains("/dev/ttyUSB-espprov-none") && Catch::Contains("plugged in"));
    }
    co_return 0;
  });
}

TEST_CASE("link: the trace shows every byte but masks secret ranges", "[serial]") {
  Pty pty;
  std::string trace;
  serial::run_blocking<int>([&]() -> asio::awaitable<int> {
    auto link = co_await serial::open_link(pty.path, 115200);
    link->set_trace([&](serial::Direction d, std::span<const std::uint8_t> bytes) {
      trace += serial::format_trace("P", d, bytes);
    });
    const std::string line = "AT+WIFI_PASSWORD=\"hunter22\"\r\n";
    const serial::SecretRanges secret{{18, 26}};
    co_await link->write(std::span(reinterpret_cast<const std::uint8_t*>(line.data()), line.size()), secret);
    co_return 0;
  });
  CHECK(pty.read_master(29).find("hunter22") != std::string::npos);  // the device gets the real bytes
  CHECK(trace.find("hunter22") == std::string::npos);
  CHECK(trace.find("********") != std::string::npos);
  CHECK(trace.find("P >> 0000:") != std::string::npos);
}

TEST_CASE("link: socket:// carries raw bytes over TCP", "[serial]") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = acceptor.local_endpoint().port();
  std::string echoed;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto peer = co_await acceptor.async_accept(asio::use_awaitable);
    char buf[16];
    auto n = co_await peer.async_read_some(asio::buffer(buf), asio::use_awaitable);
    co_await asio::async_write(peer, asio::buffer(buf, n), asio::use_awaitable);
  }, asio::detached);
  auto done = asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto link = co_await serial::open_link("socket://127.0.0.1:" + std::to_string(port), 115200);
    CHECK_FALSE(link->set_modem_lines(true, true));
    const std::uint8_t bytes[] = {0xC0, 0xFF, 0x00, 0xC0};
    co_await link->write(bytes);
    serial::Bytes all;
    std::uint8_t buf[16];
    while (all.size() < 4) {
      auto n = co_await link->read_some(buf, 2000ms);
      if (n == 0) break;
      all.insert(all.end(), buf, buf + n);
    }
    CHECK(all == serial::Bytes{0xC0, 0xFF, 0x00, 0xC0});
  }, asio::use_future);
  io.run();
  done.get();
}

TEST_CASE("link: a TCP port nobody listens on is port_unavailable", "[serial]") {
  asio::io_context probe;
  asio::ip::tcp::acceptor acceptor(probe, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = acceptor.local_endpoint().port();
  acceptor.close();
  try {
    serial::run_blocking<int>([&]() -> asio::awaitable<int> {
      auto link = co_await serial::open_link("socket://127.0.0.1:" + std::to_string(port), 115200);
      co_return 0;
    });
    FAIL("connected");
  } catch (const provision::Error& e) {
    CHECK(e.code() == provision::ErrorCode::port_unavailable);
  }
}

}  // namespace link_test
