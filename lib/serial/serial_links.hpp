// The transports behind open_link(); private to lib/serial.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "provision/serial.hpp"

namespace provision::serial {

std::unique_ptr<Link> open_serial_port_link(asio::any_io_executor executor, const std::string& path, unsigned baud);
// A connected socket becomes a raw link (socket://) or an RFC 2217 link (rfc2217://, negotiates and sets `baud`).
asio::awaitable<std::unique_ptr<Link>> make_tcp_link(asio::ip::tcp::socket socket, std::string name, bool rfc2217,
                                                     unsigned baud);

}  // namespace provision::serial
