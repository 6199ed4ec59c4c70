// The CA client: options, retries with backoff, status mapping and the checks on what the CA returned.
#include <utility>  // before Asio: boost/asio/awaitable.hpp (1.74) uses std::exchange

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "provision/ca_crypto.hpp"
#include "provision/files.hpp"
#include "provision/identity.hpp"
#include "provision/wait_notices.hpp"
#include "transport.hpp"

namespace provision::ca {

namespace {

constexpr std::chrono::milliseconds kMaxBackoff{5000};
// Named, not temporaries inside co_await expressions (GCC 12 may destroy such temporaries twice).
const std::string kRegisterPath = "/api/devices/register";
const std::string kHealthPath = "/api/health";
const std::string kNoBody;

std::shared_ptr<Client::Impl> make_impl(ClientOptions options) {
  auto impl = std::make_shared<Client::Impl>();
  impl->url = parse_ca_url(options.url);
  if (!impl->url.tls && !options.allow_insecure_http) {
    throw Error(ErrorCode::ca_insecure,
                fmt::format("--ca-url {} is plain http: the register request carries the device's PSK, which would "
                            "cross the network in clear text; use https://, or pass --allow-insecure-http on a "
                            "trusted network only",
                            impl->url.origin()),
                "ca_url");
  }
  if (options.retries < 0 || options.retries > 20) {
    throw Error(ErrorCode::bad_input, fmt::format("--retries {} is outside 0..20", options.retries), "retries");
  }
  if (options.timeout.count() < 1 || options.connect_timeout.count() < 1) {
    throw Error(ErrorCode::bad_input, "--timeout-ms and the connect timeout must be at least 1 ms", "timeout_ms");
  }
  SSL_CTX* ctx = impl->tls.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  impl->tls.set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  if (!options.ca_bundle.empty()) {
    if (!std::filesystem::exists(options.ca_bundle)) {
      throw Error(ErrorCode::io, fmt::format("--ca-bundle {}: no such file", options.ca_bundle), "ca_bundle");
    }
    impl->tls.load_verify_file(options.ca_bundle, ec);
    if (ec) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("--ca-bundle {} holds no PEM certificate ({})", options.ca_bundle, ec.message()),
                  "ca_bundle");
    }
  } else {
    impl->tls.set_default_verify_paths(ec);
  }
  if (!options.trusted_ca_pem.empty()) impl->pin_anchors(options.trusted_ca_pem);
  impl->options = std::move(options);
  return impl;
}

// 4xx → the matching error; the CA's own message is kept (it names the field), secrets are never in it.
Error status_error(const CaUrl& url, const HttpAnswer& answer) {
  CaErrorBody body = decode_error_body(answer.body);
  std::string detail = body.message.empty() ? "" : ": " + body.message;
  std::string field = body.field.empty() ? "ca_url" : body.field;
  switch (answer.status) {
    case 401:
    case 403:
      return Error(ErrorCode::ca_unauthorized,
                   fmt::format("the CA at {} refused the request (HTTP {}){}; check --token-file", url.origin(),
                               answer.status, detail),
                   "token");
    case 409:
      return Error(ErrorCode::ca_conflict,
                   fmt::format("the CA at {} already has this device with another psk or mac (HTTP 409){}; use the "
                               "psk registered first (the ledger keeps it) or ask the CA operator",
                               url.origin(), detail),
                   body.field.empty() ? "uuid" : body.field);
    default:
      break;
  }
  if (answer.status >= 500) {
    return Error(ErrorCode::ca_server, fmt::format("the CA at {} failed (HTTP {}){}", url.origin(), answer.status, detail),
                 "ca_url");
  }
  return Error(ErrorCode::ca_rejected,
               fmt::format("the CA at {} rejected the request (HTTP {}){}", url.origin(), answer.status, detail), field);
}

struct KeyMaterial {
  Pkey key;
  std::string pem;
};

KeyMaterial device_key_for(const DeviceIdentity& identity) {
  KeyMaterial material;
  if (identity.device_key && !identity.device_key->empty()) {
    material.key = parse_private_key(*identity.device_key, "device_key");
    material.pem = *identity.device_key;
  } else if (identity.key_source == KeySource::station) {
    material.key = generate_key(KeyType::ec_p256);
    material.pem = private_key_pem(material.key.get());
  }
  return material;
}

}  // namespace

Client::Client(ClientOptions options) : impl_(make_impl(std::move(options))) {}
Client::~Client() = default;
const ClientOptions& Client::options() const { return impl_->options; }
const CaUrl& Client::url() const { return impl_->url; }

Connection::Connection(const Client& client, asio::any_io_executor executor) : state_(std::make_unique<State>()) {
  state_->client = client.impl();
  state_->executor = std::move(executor);
}
Connection::~Connection() {
  if (state_) state_->close();
}
Connection::Connection(Connection&&) noexcept = default;

// Retries connection failures, timeouts and 5xx with doubling waits; 4xx is final. Returns a non-5xx answer.
static asio::awaitable<HttpAnswer> exchange_with_retries(Connection::State& state, beast::http::verb verb,
                                                         const std::string& target, const std::string& body,
                                                         int& attempts) {
  const auto& options = state.client->options;
  const auto deadline = Clock::now() + options.timeout;
  auto backoff = options.backoff;
  std::optional<Error> last;
  for (attempts = 1;; ++attempts) {
    try {
      HttpAnswer answer = co_await state.exchange(verb, target, body, deadline);
      if (answer.status < 500) co_return answer;
      last = status_error(state.client->url, answer);
    } catch (const Error& error) {
      if (error.code() != ErrorCode::ca_unreachable) throw;
      last = error;
    }
    if (attempts > options.retries || Clock::now() + backoff >= deadline) break;
    asio::steady_timer timer(state.executor, backoff);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  throw Error(last->code(), fmt::format("{} (after {} attempt{})", last->what(), attempts, attempts == 1 ? "" : "s"),
              last->field());
}

asio::awaitable<Registration> Connection::register_device(const DeviceIdentity& identity) {
  require_trust_choice(state_->client->options);  // before the CA registers anything
  KeyMaterial material = device_key_for(identity);
  RegisterRequest request{identity.uuid, identity.psk, identity.mac, identity.type, std::nullopt, identity.pop};
  if (material.key) request.csr = make_csr_pem(material.key.get(), normalize_uuid(identity.uuid));
  const std::string body = encode_register_request(request);  // validates every field before anything is sent

  Registration registration;
  HttpAnswer answer = co_await exchange_with_retries(*state_, beast::http::verb::post, kRegisterPath, body,
                                                     registration.attempts);
  if (answer.status != 200 && answer.status != 201) throw status_error(state_->client->url, answer);
  RegisterResponse response = decode_register_response(answer.body);
  if (!material.key && response.private_key) {
    try {
      material.key = parse_private_key(*response.private_key, "private_key");
    } catch (const Error&) {
      throw Error(ErrorCode::ca_bad_response, "the CA's private_key is not a PEM private key", "private_key");
    }
    material.pem = *response.private_key;
  }
  auto anchors = state_->client->anchors_for(response.ca_cert);  // the station's choice, not the answer's
  const CertificateFacts facts = verify_certificate(response.certificate, *anchors, normalize_uuid(identity.uuid),
                                                    material.key.get(), std::chrono::system_clock::now());
  registration.certificate = response.certificate;
  registration.ca_cert = response.ca_cert;
  registration.expiry = response.expiry.empty() ? facts.not_after : response.expiry;
  registration.device_key = material.pem;
  registration.cert_serial = facts.serial_hex;
  registration.cert_fingerprint = facts.fingerprint_sha256;
  co_return registration;
}

asio::awaitable<HealthReport> Connection::health() {
  HealthReport report;
  report.url = state_->client->url.origin();
  report.tls = state_->client->url.tls;
  const auto deadline = Clock::now() + state_->client->options.timeout;
  if (!state_->open) co_await state_->connect(deadline);
  report.connect_ms = state_->last_connect_ms;
  report.tls_version = state_->tls_version;
  const auto start = Clock::now();
  int attempts = 0;
  HttpAnswer answer = co_await exchange_with_retries(*state_, beast::http::verb::get, kHealthPath, kNoBody, attempts);
  report.round_trip_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  report.status = answer.status;
  if (answer.status != 200) throw status_error(state_->client->url, answer);
  report.body = Record::parse(answer.body, nullptr, false);
  if (report.body.is_discarded() || !report.body.is_object()) {
    throw Error(ErrorCode::ca_bad_response,
                fmt::format("{}/api/health did not answer a JSON object", state_->client->url.origin()), "health");
  }
  co_return report;
}

asio::awaitable<Registration> register_device(const Client& client, const DeviceIdentity& identity) {
  Connection connection(client, co_await asio::this_coro::executor);
  co_return co_await connection.register_device(identity);
}

asio::awaitable<HealthReport> health(const Client& client) {
  Connection connection(client, co_await asio::this_coro::executor);
  co_return co_await connection.health();
}

std::string read_token_file(const std::string& path) { return read_secret_file(path, "token_file"); }

namespace {

asio::awaitable<Registration> register_with_notices(const Client& client, const DeviceIdentity& identity,
                                                    const ProgressSink& progress) {
  auto executor = co_await asio::this_coro::executor;
  WaitNotices notices(executor, progress, WaitNotice{"", "ca-register", "CA"});
  co_return co_await register_device(client, identity);
}

}  // namespace

Registration run_register(const Client& client, const DeviceIdentity& identity, const ProgressSink& progress) {
  asio::io_context io;
  auto future = asio::co_spawn(io, register_with_notices(client, identity, progress), asio::use_future);
  io.run();
  return future.get();
}

HealthReport run_health(const Client& client) {
  asio::io_context io;
  auto future = asio::co_spawn(io, health(client), asio::use_future);
  io.run();
  return future.get();
}

}  // namespace provision::ca
