// The CA client's connection: HTTP/1.1 over TCP or TLS with Boost.Beast, one request at a time, kept alive
// between requests. Private to lib/ca; the public face is provision/ca.hpp.
#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "provision/ca.hpp"
#include "provision/ca_crypto.hpp"

namespace provision::ca {

namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

struct Client::Impl {
  ClientOptions options;
  CaUrl url;
  asio::ssl::context tls{asio::ssl::context::tls_client};

  // The anchors the certificate in an answer carrying `ca_cert_pem` must chain to (trust.cpp): --ca-cert's,
  // after checking that `ca_cert_pem` is one of them or chains to them; or, with trust_ca_response, the first
  // ca_cert a CA answered with, which every later answer must repeat. Parsed once: OpenSSL 3.0 spends more
  // parsing a certificate than checking its signature. Throws Error(ca_untrusted) or Error(usage).
  std::shared_ptr<const TrustAnchors> anchors_for(const std::string& ca_cert_pem);
  void pin_anchors(const std::string& trusted_ca_pem);  // parses --ca-cert; Error(cert_invalid, "ca_cert")

 private:
  std::mutex anchors_mutex_;
  std::shared_ptr<const TrustAnchors> pinned_;    // --ca-cert
  std::shared_ptr<const TrustAnchors> accepted_;  // what answers carrying accepted_pem_ chain to
  std::string accepted_pem_;
};

struct HttpAnswer {
  int status = 0;
  std::string body;
};

struct Connection::State {
  std::shared_ptr<Client::Impl> client;
  asio::any_io_executor executor;
  std::optional<beast::tcp_stream> tcp;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  bool open = false;
  std::string tls_version;
  double last_connect_ms = 0;

  // Opens the connection (TCP connect within connect_timeout, then the TLS handshake with peer and host name
  // verification). Throws Error(ca_unreachable) or Error(ca_tls).
  asio::awaitable<void> connect(Clock::time_point deadline);
  // One request and its answer on the open (or a fresh) connection; a kept-alive connection the CA has closed
  // meanwhile is reopened once. Throws Error(ca_unreachable) on connection failures and timeouts.
  asio::awaitable<HttpAnswer> exchange(http::verb verb, const std::string& target, const std::string& body,
                                       Clock::time_point deadline);
  void close();
};

}  // namespace provision::ca
