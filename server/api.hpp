// The reference CA's endpoints (docs/ca.md): health, register, claim, unbind. Takes a parsed HTTP request and
// returns the response; the registry commits before a register or claim is answered.
#pragma once

#include <utility>  // boost/asio/awaitable.hpp (1.74) uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "provision/ca_crypto.hpp"
#include "registry.hpp"

namespace provision::ca::server {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

struct ApiSettings {
  std::string token;  // "" = none required
  int validity_days = 825;
  int claim_attempts_per_minute = 5;
  bool tls = true;
};

class Api {
 public:
  Api(Registry& registry, const CaIdentity& ca, ApiSettings settings);
  boost::asio::awaitable<HttpResponse> handle(const HttpRequest& request);
  // Error response with the contract's body.
  static HttpResponse error(unsigned status, std::string code, std::string message, std::string field = {});

 private:
  boost::asio::awaitable<HttpResponse> register_device(const HttpRequest& request);
  boost::asio::awaitable<HttpResponse> claim(const HttpRequest& request);
  boost::asio::awaitable<HttpResponse> unbind(const HttpRequest& request);
  HttpResponse health() const;
  bool authorized(const HttpRequest& request) const;
  std::optional<HttpResponse> check_pop(const DeviceRow& device, const std::string& pop);
  bool claim_allowed(const std::string& uuid);
  void claim_failed(const std::string& uuid);

  Registry& registry_;
  const CaIdentity& ca_;
  std::string ca_cert_pem_;
  std::string token_sha256_;
  ApiSettings settings_;
  std::mutex attempts_mutex_;
  struct Attempts {
    int failures = 0;
    std::chrono::steady_clock::time_point window_start;
  };
  std::unordered_map<std::string, Attempts> claim_attempts_;
};

// A JSON response with the headers every answer carries.
HttpResponse json_response(unsigned status, const std::string& body);

// Awaits `job` committed by the registry's writer thread.
boost::asio::awaitable<void> commit(Registry& registry, Registry::Job job);

}  // namespace provision::ca::server
