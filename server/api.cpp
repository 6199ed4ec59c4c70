#include "api.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include "provision/ca/codec.hpp"
#include "provision/version.hpp"

namespace provision::ca::server {

namespace asio = boost::asio;
using Json = nlohmann::ordered_json;

namespace {

HttpResponse bad_request(const Error& error) { return Api::error(400, "bad_request", error.what(), error.field()); }

// A registration already on file answers a repeat of the same uuid+psk+mac; anything else is a conflict.
std::optional<HttpResponse> check_repeat(const DeviceRow& row, const RegisterRequest& request, const EVP_PKEY* csr_key) {
  if (!constant_time_equal(row.psk, request.psk)) {
    return Api::error(409, "conflict", "this uuid is registered with another psk", "psk");
  }
  if (row.mac != request.mac) {
    return Api::error(409, "conflict", "this uuid is registered with another mac", "mac");
  }
  if (csr_key && !same_public_key(parse_certificate(row.certificate).get(), csr_key)) {
    return Api::error(409, "conflict",
                      "this uuid is registered with another key; resend the CSR of the key used first", "csr");
  }
  if (request.pop && !row.pop_sha256.empty() && !constant_time_equal(row.pop_sha256, sha256_hex(*request.pop))) {
    return Api::error(409, "conflict", "this uuid is registered with another pop", "pop");
  }
  return std::nullopt;
}

// Which uuid holds the mac is not said: the caller may be anyone with the token, and uuids are claim handles.
HttpResponse mac_taken(const std::string& mac) {
  return Api::error(409, "conflict", fmt::format("mac {} is registered to another uuid", mac), "mac");
}

}  // namespace

HttpResponse json_response(unsigned status, const std::string& body) {
  HttpResponse response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");  // answers may carry a private key
  response.body() = body;
  response.prepare_payload();
  return response;
}

Api::Api(Registry& registry, const CaIdentity& ca, ApiSettings settings)
    : registry_(registry), ca_(ca), ca_cert_pem_(certificate_pem(ca.cert.get())), settings_(std::move(settings)) {
  if (!settings_.token.empty()) token_sha256_ = sha256_hex(settings_.token);
}

HttpResponse Api::error(unsigned status, std::string code, std::string message, std::string field) {
  return json_response(status, encode_error_body({std::move(code), std::move(message), std::move(field)}));
}

// Comparing digests keeps the comparison constant-time whatever the lengths.
bool Api::authorized(const HttpRequest& request) const {
  if (token_sha256_.empty()) return true;
  auto raw = request[http::field::authorization];
  std::string_view header(raw.data(), raw.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) return false;
  auto given = header.substr(kBearer.size());
  return constant_time_equal(sha256_hex(given), token_sha256_);
}

HttpResponse Api::health() const {
  Json body = {{"success", true}, {"status", "ok"}, {"service", "espprov-ca"},
               {"version", std::string(kVersion)}, {"devices", registry_.size()}, {"tls", settings_.tls}};
  return json_response(200, body.dump());
}

asio::awaitable<HttpResponse> Api::handle(const HttpRequest& request) {
  std::string_view target(request.target().data(), request.target().size());
  if (auto query = target.find('?'); query != std::string_view::npos) target = target.substr(0, query);
  const bool get = request.method() == http::verb::get, post = request.method() == http::verb::post;
  try {
    if (target == "/api/health") {
      co_return get ? health() : error(405, "method_not_allowed", "use GET /api/health");
    }
    const bool known = target == "/api/devices/register" || target == "/api/devices/claim" ||
                       target == "/api/devices/unbind";
    if (!known) co_return error(404, "not_found", fmt::format("no endpoint {}; see docs/ca.md", target));
    if (!post) co_return error(405, "method_not_allowed", fmt::format("use POST {}", target));
    if (!authorized(request)) {
      auto response = error(401, "unauthorized", "a valid \"Authorization: Bearer <token>\" header is required");
      response.set(http::field::www_authenticate, "Bearer");
      co_return response;
    }
    if (target == "/api/devices/register") co_return co_await register_device(request);
    if (target == "/api/devices/claim") co_return co_await claim(request);
    co_return co_await unbind(request);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::bad_input) co_return bad_request(e);
    if (e.code() == ErrorCode::database_unavailable) {
      // Nothing was acknowledged: the station retries, and a repeat of a registration that did commit answers 200.
      auto response = error(503, "database_unavailable", "the CA's database is unreachable; retry later");
      response.set(http::field::retry_after, "2");
      co_return response;
    }
    co_return error(500, "internal", "the CA failed to store or sign; retry later");
  } catch (const std::exception&) {
    co_return error(500, "internal", "the CA failed; retry later");
  }
}

asio::awaitable<HttpResponse> Api::register_device(const HttpRequest& http_request) {
  RegisterRequest request = decode_register_request(http_request.body());
  std::optional<CheckedCsr> csr;
  const EVP_PKEY* csr_key = nullptr;  // owned by csr
  if (request.csr) {
    csr = check_csr(*request.csr);  // a bad_input Error when it does not parse or verify: 400 naming "csr"
    if (csr->common_name != request.uuid) {
      co_return error(400, "bad_request", fmt::format("the csr's subject CN must be the uuid {}", request.uuid), "csr");
    }
    csr_key = csr->key.get();
  }
  // The certificate is made before the registry is asked: a new device (the common case) then costs one write,
  // and on PostgreSQL one statement. A repeat or a MAC already taken is decided in the same job from what is
  // committed, and the certificate made for it is dropped unsent.
  DeviceRow row;
  const IssueParams params{request.uuid, settings_.validity_days, std::chrono::system_clock::now()};
  Cert cert;
  if (csr) {  // the CSR's SubjectPublicKeyInfo as is: re-encoding a key costs more than signing (spki.cpp)
    cert = issue_client_certificate(ca_, csr->public_key_info.get(), params);
  } else {
    Pkey generated = generate_key(KeyType::ec_p256);
    row.private_key = private_key_pem(generated.get());
    cert = issue_client_certificate(ca_, generated.get(), params);
  }
  row.uuid = request.uuid;
  row.mac = request.mac;
  row.chip = request.type;
  row.psk = request.psk;
  row.pop_sha256 = request.pop ? sha256_hex(*request.pop) : "";
  row.certificate = certificate_pem(cert.get());
  row.serial = certificate_serial_hex(cert.get());
  row.expiry = certificate_not_after_rfc3339(cert.get());
  row.created_at = row.updated_at = now_rfc3339_ms();

  // Decided on the writer thread, inside the transaction: a concurrent request for the same uuid or mac, here or
  // on another server, may have won the race.
  std::optional<DeviceRow> winner;
  std::optional<HttpResponse> conflict;
  co_await commit(registry_, [&](Transaction& txn) {
    winner.reset();
    conflict.reset();
    if (txn.insert_new(row, "register", row.serial)) return;
    if (const DeviceRow* same = txn.find_uuid(row.uuid)) {
      winner = *same;
      if ((conflict = check_repeat(*same, request, csr_key))) return;
      if (request.pop && same->pop_sha256.empty()) {
        // The station registered first and reads the PoP later (workflow step pop-register): record it now.
        DeviceRow updated = *same;
        updated.pop_sha256 = sha256_hex(*request.pop);
        updated.updated_at = now_rfc3339_ms();
        txn.update(updated);
        txn.event(updated.uuid, "pop", "", "");
      }
    } else if (txn.find_mac(row.mac)) {
      conflict = mac_taken(row.mac);
    } else {
      txn.insert(row);  // the serial was taken: a unique conflict fails the job, which the registry runs again
      txn.event(row.uuid, "register", "", row.serial);
    }
  });
  if (conflict) co_return *conflict;
  const DeviceRow& stored = winner ? *winner : row;
  co_return json_response(200, encode_register_response({stored.certificate, ca_cert_pem_, stored.expiry,
                                                         stored.private_key.empty()
                                                             ? std::nullopt
                                                             : std::optional(stored.private_key)}));
}

}  // namespace provision::ca::server
