// HTTP/1.1 to the CA over TCP or TLS. The only part of the CA client that touches Asio.
#include "transport.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace provision::ca {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

namespace {

constexpr std::size_t kMaxAnswerBytes = 1024 * 1024;

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(1);
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Error unreachable(const CaUrl& url, std::string_view what, const boost::system::error_code& ec,
                  std::chrono::milliseconds limit) {
  if (ec == beast::error::timeout) {
    return Error(ErrorCode::ca_unreachable,
                 fmt::format("the CA at {} did not {} within {} ms; check that it runs, or raise the CA timeout "
                             "(provision --ca-timeout SECONDS; ca-register, ca-test --timeout-ms)",
                             url.origin(), what, limit.count()),
                 "ca_url");
  }
  return Error(ErrorCode::ca_unreachable,
               fmt::format("the CA at {} could not {}: {}; check the address and that the CA runs", url.origin(), what,
                           ec.message()),
               "ca_url");
}

Error tls_failure(const CaUrl& url, SSL* ssl, const boost::system::error_code& ec) {
  long verify = SSL_get_verify_result(ssl);
  std::string reason = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ec.message();
  return Error(ErrorCode::ca_tls,
               fmt::format("TLS with the CA at {} failed: {}; if the CA uses its own root certificate, pass it with "
                           "--ca-bundle FILE (for espprov-ca: DIR/ca.pem)",
                           url.origin(), reason),
               "ca_url");
}

// A handshake that failed because the connection did (a reset, an EOF, a cut-off record) is transient and
// retried as ca_unreachable; only a verdict of TLS itself (a certificate that does not verify, an alert, a
// protocol the peer does not speak) is the final ca_tls.
Error handshake_failure(const CaUrl& url, SSL* ssl, const boost::system::error_code& ec,
                        std::chrono::milliseconds limit) {
  const bool tls_verdict = SSL_get_verify_result(ssl) != X509_V_OK ||
                           (ec.category() == asio::error::get_ssl_category() && ec != ssl::error::stream_truncated);
  if (tls_verdict) return tls_failure(url, ssl, ec);
  return unreachable(url, "finish the TLS handshake (the connection failed)", ec, limit);
}

// SNI and RFC 6125 host checking: a name goes into SNI and the host check, an IP literal only into the IP check.
void set_peer_name(SSL* ssl, const CaUrl& url) {
  if (url.host_is_ip()) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, url.host.c_str());
    SSL_set1_host(ssl, url.host.c_str());
  }
}

template <typename Stream>
asio::awaitable<HttpAnswer> send_and_read(Stream& stream, beast::flat_buffer& buffer,
                                          http::request<http::string_body>& request, bool& keep_alive,
                                          boost::system::error_code& ec) {
  co_await http::async_write(stream, request, redirect_error(use_awaitable, ec));
  HttpAnswer answer;
  if (ec) co_return answer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
  if (ec) co_return answer;
  auto& response = parser.get();
  answer.status = static_cast<int>(response.result_int());
  answer.body = std::move(response.body());
  keep_alive = response.keep_alive();
  co_return answer;
}

}  // namespace

void Connection::State::close() {
  boost::system::error_code ignored;
  if (tls) beast::get_lowest_layer(*tls).socket().close(ignored);
  if (tcp) tcp->socket().close(ignored);
  tls.reset();
  tcp.reset();
  buffer.clear();
  open = false;
}

asio::awaitable<void> Connection::State::connect(Clock::time_point deadline) {
  close();
  const CaUrl& url = client->url;
  const auto start = Clock::now();
  auto limit = std::min(client->options.connect_timeout, remaining(deadline));
  tcp::resolver resolver(executor);
  boost::system::error_code ec;
  auto endpoints = co_await resolver.async_resolve(url.host, url.port, redirect_error(use_awaitable, ec));
  if (ec) throw unreachable(url, "be found (name lookup)", ec, limit);
  beast::tcp_stream stream(executor);
  stream.expires_after(limit);
  co_await stream.async_connect(endpoints, redirect_error(use_awaitable, ec));
  if (ec) throw unreachable(url, "accept a connection", ec, limit);
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (!url.tls) {
    tcp.emplace(std::move(stream));
  } else {
    tls.emplace(std::move(stream), client->tls);
    set_peer_name(tls->native_handle(), url);
    beast::get_lowest_layer(*tls).expires_after(remaining(deadline));
    co_await tls->async_handshake(ssl::stream_base::client, redirect_error(use_awaitable, ec));
    if (ec == beast::error::timeout) throw unreachable(url, "finish the TLS handshake", ec, remaining(deadline));
    if (ec) {
      Error error = handshake_failure(url, tls->native_handle(), ec, limit);
      close();
      throw error;
    }
    tls_version = SSL_get_version(tls->native_handle());
  }
  last_connect_ms = ms_since(start);
  open = true;
}

asio::awaitable<HttpAnswer> Connection::State::exchange(http::verb verb, const std::string& target,
                                                        const std::string& body, Clock::time_point deadline) {
  const auto& options = client->options;
  http::request<http::string_body> request{verb, client->url.base_path + target, 11};
  request.set(http::field::host, client->url.host_header());
  request.set(http::field::user_agent, options.user_agent);
  request.set(http::field::accept, "application/json");
  if (!options.token.empty()) request.set(http::field::authorization, "Bearer " + options.token);
  if (verb == http::verb::post) request.set(http::field::content_type, "application/json");
  request.body() = body;
  request.keep_alive(true);
  request.prepare_payload();

  // A kept-alive connection may have been closed by the CA while idle: one immediate retry on a fresh one.
  for (int pass = 0; pass < 2; ++pass) {
    bool reused = open;
    if (!open) co_await connect(deadline);
    boost::system::error_code ec;
    bool keep_alive = false;
    HttpAnswer answer;
    if (tls) {
      beast::get_lowest_layer(*tls).expires_after(remaining(deadline));
      answer = co_await send_and_read(*tls, buffer, request, keep_alive, ec);
    } else {
      tcp->expires_after(remaining(deadline));
      answer = co_await send_and_read(*tcp, buffer, request, keep_alive, ec);
    }
    if (!ec) {
      if (!keep_alive) close();
      co_return answer;
    }
    close();
    if (!reused || ec == beast::error::timeout) {
      throw unreachable(client->url, "answer", ec, options.timeout);
    }
  }
  throw Error(ErrorCode::internal, "unreachable: the exchange loop ended");
}

}  // namespace provision::ca
