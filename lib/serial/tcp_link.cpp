// socket://host:port (raw bytes, e.g. ser2net in raw mode or esp-link) and rfc2217://host:port (telnet with the
// COM-PORT option, RFC 2217: the remote server applies baud rate, DTR/RTS and input purges to its real port).
#include <boost/asio/write.hpp>

#include "serial_links.hpp"
#include "telnet.hpp"
#include "timed_read.hpp"

namespace provision::serial {
namespace {

using asio::ip::tcp;

class TcpLink final : public Link {
 public:
  TcpLink(tcp::socket socket, std::string name, bool rfc2217)
      : socket_(std::move(socket)), reader_(socket_), name_(std::move(name)), rfc2217_(rfc2217) {
    socket_.set_option(tcp::no_delay(true));
  }

  asio::awaitable<void> negotiate(unsigned baud) {
    if (!rfc2217_) co_return;
    // As pyserial's client: binary both ways, suppress go-ahead, and we will speak COM-PORT-OPTION.
    telnet::Bytes hello;
    for (auto part : {telnet::negotiation(telnet::WILL, telnet::BINARY), telnet::negotiation(telnet::DO, telnet::BINARY),
                      telnet::negotiation(telnet::WILL, telnet::SGA), telnet::negotiation(telnet::DO, telnet::SGA),
                      telnet::negotiation(telnet::WILL, telnet::COM_PORT)}) {
      hello.insert(hello.end(), part.begin(), part.end());
    }
    const std::uint8_t eight[1] = {8}, no_parity[1] = {1}, one_stop[1] = {1}, no_flow[1] = {telnet::kNoFlowControl};
    for (auto part : {telnet::set_baud_command(baud), telnet::com_port(telnet::set_datasize, eight),
                      telnet::com_port(telnet::set_parity, no_parity), telnet::com_port(telnet::set_stopsize, one_stop),
                      telnet::com_port(telnet::set_control, no_flow)}) {
      hello.insert(hello.end(), part.begin(), part.end());
    }
    co_await send_raw(hello);
    baud_ = baud;
  }

  asio::awaitable<std::size_t> read_some(std::span<std::uint8_t> buffer, Millis timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pending_.empty()) {
      auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) co_return 0;
      std::uint8_t raw[4096];
      boost::system::error_code ec;
      std::size_t n = co_await reader_.read_some(raw, left, ec);
      if (ec) throw Error(ErrorCode::port_unavailable, "port " + name_ + ": connection lost: " + ec.message(), "port");
      if (n == 0) co_return 0;
      if (!rfc2217_) {
        pending_.insert(pending_.end(), raw, raw + n);
      } else {
        std::vector<telnet::Negotiation> negotiations;
        decoder_.feed(std::span(raw, n), pending_, negotiations);
        co_await answer(negotiations);
      }
    }
    std::size_t n = std::min(buffer.size(), pending_.size());
    std::copy_n(pending_.begin(), n, buffer.begin());
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    trace(Direction::from_device, buffer.first(n));
    co_return n;
  }

  asio::awaitable<void> write(std::span<const std::uint8_t> bytes, const SecretRanges& secrets) override {
    trace_write(bytes, secrets);
    if (rfc2217_) {
      co_await send_raw(telnet::escape(bytes));
    } else {
      co_await send_raw(bytes);
    }
  }

  void set_baud(unsigned baud) override {
    if (rfc2217_) send_now(telnet::set_baud_command(baud));
    baud_ = baud;  // raw sockets: the remote end's rate is its own configuration
  }
  unsigned baud() const override { return baud_; }

  bool set_modem_lines(std::optional<bool> dtr, std::optional<bool> rts) override {
    if (!rfc2217_) return false;
    if (dtr) send_control(*dtr ? telnet::kDtrOn : telnet::kDtrOff);
    if (rts) send_control(*rts ? telnet::kRtsOn : telnet::kRtsOff);
    return true;
  }

  void discard_input() override {
    pending_.clear();
    if (rfc2217_) {
      const std::uint8_t purge[1] = {telnet::kPurgeReceive};
      send_now(telnet::com_port(telnet::purge_data, purge));
    }
  }
  const std::string& name() const override { return name_; }

 private:
  asio::awaitable<void> send_raw(std::span<const std::uint8_t> bytes) {
    boost::system::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) throw Error(ErrorCode::port_unavailable, "port " + name_ + ": send failed: " + ec.message(), "port");
  }
  // Control commands are a few bytes on an idle socket; Link's setters are synchronous, so they are sent at once.
  void send_now(const telnet::Bytes& bytes) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    if (ec) throw Error(ErrorCode::port_unavailable, "port " + name_ + ": send failed: " + ec.message(), "port");
  }
  void send_control(std::uint8_t value) {
    const std::uint8_t v[1] = {value};
    send_now(telnet::com_port(telnet::set_control, v));
  }
  // Refuse every option we did not offer; accept the ones we did (without answering again: no loops).
  asio::awaitable<void> answer(const std::vector<telnet::Negotiation>& negotiations) {
    telnet::Bytes reply;
    for (auto n : negotiations) {
      bool ours = n.option == telnet::BINARY || n.option == telnet::SGA || n.option == telnet::COM_PORT;
      if (ours) continue;
      if (n.verb == telnet::DO) reply = telnet::negotiation(telnet::WONT, n.option);
      if (n.verb == telnet::WILL) reply = telnet::negotiation(telnet::DONT, n.option);
      if (!reply.empty()) co_await send_raw(reply);
      reply.clear();
    }
  }

  tcp::socket socket_;
  detail::TimedReader<tcp::socket> reader_;
  std::string name_;
  bool rfc2217_;
  unsigned baud_ = 115200;
  telnet::Decoder decoder_;
  Bytes pending_;
};

}  // namespace

asio::awaitable<std::unique_ptr<Link>> make_tcp_link(tcp::socket socket, std::string name, bool rfc2217,
                                                     unsigned baud) {
  auto link = std::make_unique<TcpLink>(std::move(socket), std::move(name), rfc2217);
  co_await link->negotiate(baud);
  co_return std::unique_ptr<Link>(std::move(link));
}

}  // namespace provision::serial
