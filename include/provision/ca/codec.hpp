// The CA step's pure parts: the CA URL and the register request/response JSON (docs/ca.md is the contract).
// Values in, values or Error out; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace provision::ca {

// A parsed --ca-url: https://host[:port][/base]. Pure.
struct CaUrl {
  bool tls = true;
  std::string host;       // name or IP literal, without IPv6 brackets
  std::string port;       // "443" / "80" when not given
  std::string base_path;  // "" or "/prefix" (never a trailing slash)
  bool host_is_ip() const;
  std::string origin() const;  // "https://host:port" (IPv6 in brackets), for messages
  // The Host header value: host, plus ":port" when not the scheme's default.
  std::string host_header() const;
};
// Throws Error(bad_input, field "ca_url") naming the value and what to write instead.
CaUrl parse_ca_url(std::string_view text);

// Where the device key comes from: generated on the station (a CSR is sent), or none (seed-compatible: no CSR;
// a CA that generates keys may return one).
enum class KeySource { station, none };
KeySource parse_key_source(std::string_view text);

// The register request (seed 001's body plus the optional csr and pop).
struct RegisterRequest {
  std::string uuid;                // lower-case 8-4-4-4-12
  std::string psk;                 // 64 hex (secret)
  std::string mac;                 // 12 upper-case hex digits, as the seed sends it
  std::string type;                // chip: "esp32s3", ...
  std::optional<std::string> csr;  // PEM PKCS#10, subject CN = uuid
  std::optional<std::string> pop;  // the device's proof of possession (64 hex), stored hashed by the CA
};

// What a CA answers to a successful register.
struct RegisterResponse {
  std::string certificate;                 // PEM
  std::string ca_cert;                     // PEM (one or more certificates)
  std::string expiry;                      // RFC 3339
  std::optional<std::string> private_key;  // PEM, only from CAs that generate the key
};

// An error body: {"success":false,"error":{"code","message","field"}}. Codes are listed in docs/ca.md.
struct CaErrorBody {
  std::string code;
  std::string message;
  std::string field;
};

// Codec (pure). Request: validates and normalizes uuid, psk, mac (any accepted form → 12 upper hex), type.
std::string encode_register_request(const RegisterRequest& request);
RegisterRequest decode_register_request(std::string_view body);  // Error(bad_input, field = the JSON member)
std::string encode_register_response(const RegisterResponse& response);
// Throws Error(ca_bad_response) naming what is missing.
RegisterResponse decode_register_response(std::string_view body);
std::string encode_error_body(const CaErrorBody& error);
// Best effort: an empty code when the body is not the contract's error shape.
CaErrorBody decode_error_body(std::string_view body);

}  // namespace provision::ca
