// The reference CA's HTTP(S) front: accepts connections up to a cap, reads requests with header and body
// timeouts and a body size cap, answers through Api, keeps connections alive, and drains on SIGTERM.
#include <fmt/format.h>

#include <utility>  // before Asio: boost/asio/awaitable.hpp (1.74) uses std::exchange

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "api.hpp"
#include "ca_server.hpp"
#include "provision/files.hpp"

namespace provision::ca {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

namespace {

constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
constexpr auto kWriteTimeout = std::chrono::seconds(10);
constexpr auto kDrainLimit = std::chrono::seconds(5);

// Connections waiting for a request's headers. SIGTERM closes them at once: waiting for their idle timeout (or
// the drain limit) would keep the server up for seconds with nothing to do. A connection inside a request is not
// here; it answers, then closes because keep-alive is off once stopping.
class WaitingConnections {
 public:
  // False once stopping: the caller closes instead of waiting. Called on the stream's strand.
  bool enter(beast::tcp_stream* stream) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    waiting_.insert(stream);
    return true;
  }
  void leave(beast::tcp_stream* stream) {
    std::lock_guard lock(mutex_);
    waiting_.erase(stream);
  }
  // Each stream is cancelled on its own strand, and only if it is still waiting then (so still alive).
  void close_all() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto* stream : waiting_) {
      asio::post(stream->get_executor(), [this, stream] {
        std::lock_guard inner(mutex_);
        if (waiting_.count(stream) != 0) stream->cancel();
      });
    }
  }

 private:
  std::mutex mutex_;
  std::unordered_set<beast::tcp_stream*> waiting_;
  bool stopping_ = false;
};

struct Shared {
  const ServerOptions& options;
  server::Api& api;
  asio::ssl::context* tls = nullptr;
  std::atomic<int> active{0};
  std::atomic<bool> stopping{false};
  WaitingConnections waiting;
};

struct ActiveGuard {
  std::atomic<int>& count;
  ~ActiveGuard() { --count; }
};

server::HttpResponse parse_error_response(const boost::system::error_code& ec, const ServerOptions& options) {
  if (ec == http::error::body_limit) {
    return server::Api::error(413, "payload_too_large",
                              fmt::format("the body exceeds {} bytes", options.max_body_bytes), "body");
  }
  if (ec == http::error::header_limit) {
    return server::Api::error(431, "headers_too_large", fmt::format("headers exceed {} bytes", kMaxHeaderBytes));
  }
  return server::Api::error(400, "bad_request", fmt::format("malformed HTTP request ({})", ec.message()));
}

bool is_parse_error(const boost::system::error_code& ec) {
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return false;  // the peer left
  return ec.category() == boost::system::error_code(http::error::body_limit).category();
}

template <typename Stream>
asio::awaitable<void> serve_requests(Stream& stream, beast::tcp_stream& lowest, Shared& shared) {
  beast::flat_buffer buffer;
  const auto& options = shared.options;
  for (bool first = true;; first = false) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(options.max_body_bytes);
    boost::system::error_code ec;
    lowest.expires_after(first ? options.header_timeout : options.idle_timeout);
    if (!shared.waiting.enter(&lowest)) co_return;
    co_await http::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
    shared.waiting.leave(&lowest);
    if (!ec) {
      lowest.expires_after(options.body_timeout);
      co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
    }
    server::HttpResponse response;
    bool keep_alive = false;
    const auto start = std::chrono::steady_clock::now();
    if (ec) {
      if (!is_parse_error(ec)) co_return;  // closed, reset or timed out: nothing to answer
      response = parse_error_response(ec, options);
    } else {
      response = co_await shared.api.handle(parser.get());
      keep_alive = parser.get().keep_alive() && !shared.stopping;
    }
    response.keep_alive(keep_alive);
    if (options.log_requests) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      std::string target = ec ? "-" : std::string(parser.get().target());
      std::fprintf(stderr, "espprov-ca: %s %s %u %.1fms\n", ec ? "-" : std::string(parser.get().method_string()).c_str(),
                   target.c_str(), response.result_int(), ms);
    }
    lowest.expires_after(kWriteTimeout);
    co_await http::async_write(stream, response, redirect_error(use_awaitable, ec));
    if (ec || !keep_alive) co_return;
  }
}

asio::awaitable<void> serve_connection(tcp::socket socket, Shared& shared) {
  ActiveGuard guard{shared.active};
  try {
    beast::tcp_stream stream(std::move(socket));
    boost::system::error_code ec;
    stream.socket().set_option(tcp::no_delay(true), ec);
    if (shared.tls == nullptr) {
      co_await serve_requests(stream, stream, shared);
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *shared.tls);
    beast::get_lowest_layer(tls).expires_after(shared.options.header_timeout);
    co_await tls.async_handshake(asio::ssl::stream_base::server, redirect_error(use_awaitable, ec));
    if (ec) co_return;
    co_await serve_requests(tls, beast::get_lowest_layer(tls), shared);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "espprov-ca: connection dropped: %s\n", e.what());
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Shared& shared) {
  for (;;) {
    tcp::socket socket(asio::make_strand(acceptor.get_executor()));
    boost::system::error_code ec;
    co_await acceptor.async_accept(socket, redirect_error(use_awaitable, ec));
    if (shared.stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {  // out of file descriptors and the like: wait a little instead of spinning
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    if (shared.active >= shared.options.max_connections) {
      socket.close(ec);  // over the cap: refuse at once rather than queue
      continue;
    }
    ++shared.active;
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve_connection(std::move(socket), shared), asio::detached);
  }
}

asio::awaitable<void> drain_then_stop(asio::io_context& io, Shared& shared) {
  asio::steady_timer timer(io);
  const auto give_up = std::chrono::steady_clock::now() + kDrainLimit;
  while (shared.active > 0 && std::chrono::steady_clock::now() < give_up) {
    timer.expires_after(std::chrono::milliseconds(20));
    boost::system::error_code ec;
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
  }
  io.stop();
}

std::string read_token(const ServerOptions& options) {
  if (options.token_file.empty()) {
    if (options.no_auth) return "";
    throw Error(ErrorCode::usage,
                "token_file: give --token-file FILE (clients then send \"Authorization: Bearer <its first line>\"), "
                "or --no-auth to let anyone who reaches the port register devices",
                "token_file");
  }
  return read_secret_file(options.token_file, "token_file");
}

bool loopback_host(asio::io_context& io, const ServerOptions& options) {
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(options.listen_host, options.listen_port, tcp::resolver::passive, ec);
  if (ec || results.empty()) return false;
  for (const auto& result : results) {
    if (!result.endpoint().address().is_loopback()) return false;
  }
  return true;
}

// Plain HTTP carries PSKs and tokens in clear text: only where no other machine can listen.
void refuse_http_off_loopback(asio::io_context& io, const ServerOptions& options) {
  if (!options.plain_http || loopback_host(io, options)) return;
  throw Error(ErrorCode::usage,
              fmt::format("--http on {} would send PSKs and tokens in clear text over the network; listen on "
                          "127.0.0.1 or [::1] for plain HTTP, or drop --http (HTTPS)",
                          options.listen_host),
              "listen");
}

tcp::endpoint listen_endpoint(asio::io_context& io, const ServerOptions& options) {
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(options.listen_host, options.listen_port, tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    throw Error(ErrorCode::bad_input,
                fmt::format("--listen {}:{}: {}", options.listen_host, options.listen_port, ec.message()), "listen");
  }
  return results.begin()->endpoint();
}

}  // namespace

int serve(const ServerOptions& options, const std::function<void(const Record&)>& on_listening) {
  CaFiles files{options.dir};
  const std::string token = read_token(options);
  const int threads = options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context io(threads);
  refuse_http_off_loopback(io, options);
  CaIdentity ca = load_ca(files);
  auto registry_owner = server::open_registry(server::registry_location(options.db, files.dir));
  server::Registry& registry = *registry_owner;
  server::Api api(registry, ca, {token, options.validity_days,
                                 options.claim_attempts_per_minute, !options.plain_http});
  asio::ssl::context tls(asio::ssl::context::tls_server);
  Shared shared{options, api, nullptr, {0}, {false}, {}};
  if (!options.plain_http) {
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    tls.use_certificate_chain_file(files.server_cert().string(), ec);
    if (!ec) tls.use_private_key_file(files.server_key().string(), asio::ssl::context::pem, ec);
    if (ec) throw Error(ErrorCode::io, fmt::format("server certificate or key in {}: {}", files.dir.string(),
                                                   ec.message()), "dir");
    shared.tls = &tls;
  }
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint = listen_endpoint(io, options);
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw Error(ErrorCode::io, fmt::format("cannot listen on {}:{}: {}", options.listen_host, options.listen_port,
                                           ec.message()), "listen");
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& error, int) {
    if (error) return;
    shared.stopping = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    shared.waiting.close_all();
    asio::co_spawn(io, drain_then_stop(io, shared), asio::detached);
  });
  asio::co_spawn(io, accept_loop(acceptor, shared), asio::detached);

  auto bound = acceptor.local_endpoint();
  std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  Record listening = Record::object();
  listening["listening"] = fmt::format("{}://{}:{}", options.plain_http ? "http" : "https", host, bound.port());
  listening["ca_cert"] = files.ca_cert().string();
  on_listening(listening);

  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& worker : workers) worker.join();
  return 0;
}

}  // namespace provision::ca
