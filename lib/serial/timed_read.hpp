// A read that gives up after a timeout: a timer cancels the pending read. The generation counter makes a timer
// that fires just after the read completed harmless to the next read.
#pragma once

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <span>

#include "provision/serial.hpp"

namespace provision::serial::detail {

template <typename Stream>
class TimedReader {
 public:
  explicit TimedReader(Stream& stream) : stream_(stream), timer_(stream.get_executor()) {}

  // Bytes read, 0 on timeout; `error` gets anything else (EOF, a vanished device).
  asio::awaitable<std::size_t> read_some(std::span<std::uint8_t> buffer, Millis timeout,
                                         boost::system::error_code& error) {
    const std::uint64_t generation = ++generation_;
    timer_.expires_after(timeout);
    timer_.async_wait([this, generation](const boost::system::error_code& ec) {
      if (!ec && generation == generation_ && reading_) stream_.cancel();
    });
    reading_ = true;
    error = {};
    std::size_t n = co_await stream_.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                                     asio::redirect_error(asio::use_awaitable, error));
    reading_ = false;
    timer_.cancel();
    if (error == asio::error::operation_aborted) {
      error = {};
      co_return 0;
    }
    co_return n;
  }

 private:
  Stream& stream_;
  asio::steady_timer timer_;
  std::uint64_t generation_ = 0;
  bool reading_ = false;
};

}  // namespace provision::serial::detail
