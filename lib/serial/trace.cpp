// Trace formatting and the parts of Link every transport shares.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "provision/serial.hpp"

namespace provision::serial {

std::string format_trace(std::string_view port, Direction direction, std::span<const std::uint8_t> bytes) {
  constexpr std::size_t kPerLine = 16;
  const char* arrow = direction == Direction::to_device ? ">>" : "<<";
  std::string out;
  for (std::size_t at = 0; at < bytes.size(); at += kPerLine) {
    auto chunk = bytes.subspan(at, std::min(kPerLine, bytes.size() - at));
    std::string hex, text;
    for (auto b : chunk) {
      hex += fmt::format("{:02x} ", b);
      text += (b >= 0x20 && b < 0x7F) ? static_cast<char>(b) : '.';
    }
    out += fmt::format("{} {} {:04x}: {:<48}|{}|\n", port, arrow, at, hex, text);
  }
  return out;
}

void Link::trace_write(std::span<const std::uint8_t> bytes, const SecretRanges& secrets) const {
  if (!trace_) return;
  if (secrets.empty()) {
    trace_(Direction::to_device, bytes);
    return;
  }
  Bytes masked(bytes.begin(), bytes.end());
  for (auto [begin, end] : secrets) {
    for (std::size_t i = begin; i < end && i < masked.size(); ++i) masked[i] = '*';
  }
  trace_(Direction::to_device, masked);
}

void Link::trace(Direction direction, std::span<const std::uint8_t> bytes) const {
  if (!trace_) return;
  if (direction == Direction::to_device || !mask_reads_) {
    trace_(direction, bytes);
    return;
  }
  Bytes masked(bytes.begin(), bytes.end());
  for (auto& b : masked) {
    if (b != '\r' && b != '\n') b = '*';
  }
  trace_(direction, masked);
}

asio::awaitable<void> Link::delay(Millis duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(duration);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace provision::serial
