// open_link(): picks the transport for a --port value.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "serial_links.hpp"

namespace provision::serial {

asio::awaitable<std::unique_ptr<Link>> open_link(std::string url, unsigned baud, Millis connect_timeout) {
  auto parsed = parse_port_url(url);
  auto executor = co_await asio::this_coro::executor;
  if (parsed.kind == PortUrl::Kind::device) co_return open_serial_port_link(executor, parsed.path, baud);

  using asio::ip::tcp;
  boost::system::error_code ec;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(parsed.host, parsed.port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) throw Error(ErrorCode::port_unavailable, "port " + url + ": cannot resolve " + parsed.host + ": " + ec.message(), "port");
  tcp::socket socket(executor);
  asio::steady_timer timer(executor);
  bool timed_out = false;
  timer.expires_after(connect_timeout);
  timer.async_wait([&](const boost::system::error_code& e) {
    if (!e) {
      timed_out = true;
      socket.cancel();
    }
  });
  co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (timed_out) {
    throw Error(ErrorCode::port_unavailable,
                "port " + url + ": no connection within " + std::to_string(connect_timeout.count()) + " ms", "port");
  }
  if (ec) throw Error(ErrorCode::port_unavailable, "port " + url + ": cannot connect: " + ec.message(), "port");
  co_return co_await make_tcp_link(std::move(socket), url, parsed.kind == PortUrl::Kind::rfc2217, baud);
}

}  // namespace provision::serial
