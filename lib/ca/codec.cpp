// The register contract's JSON bodies (docs/ca.md). Pure: text in, values out.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "provision/ca/codec.hpp"
#include "provision/error.hpp"
#include "provision/identity.hpp"

namespace provision::ca {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxTypeChars = 32;
constexpr std::size_t kMaxPemChars = 16 * 1024;

Json parse_object(std::string_view body, ErrorCode code, std::string_view what) {
  Json json = Json::parse(body.begin(), body.end(), nullptr, false);
  if (json.is_discarded()) throw Error(code, fmt::format("{} is not valid JSON", what), "body");
  if (!json.is_object()) throw Error(code, fmt::format("{} is not a JSON object", what), "body");
  return json;
}

std::string required_string(const Json& json, const char* name, ErrorCode code) {
  auto it = json.find(name);
  if (it == json.end() || it->is_null()) throw Error(code, fmt::format("\"{}\" is missing", name), name);
  if (!it->is_string()) throw Error(code, fmt::format("\"{}\" must be a string", name), name);
  return it->get<std::string>();
}

std::optional<std::string> optional_string(const Json& json, const char* name, ErrorCode code) {
  auto it = json.find(name);
  if (it == json.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw Error(code, fmt::format("\"{}\" must be a string", name), name);
  return it->get<std::string>();
}

std::string normalize_type(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  bool ok = !type.empty() && type.size() <= kMaxTypeChars &&
            std::all_of(type.begin(), type.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
  if (!ok) {
    throw Error(ErrorCode::bad_input,
                fmt::format("type \"{}\" must be a chip name of 1 to {} letters, digits, '-' or '_' (e.g. esp32s3)",
                            type.substr(0, 40), kMaxTypeChars),
                "type");
  }
  return type;
}

std::string normalize_pop(std::string_view pop) {
  bool ok = pop.size() == 64 && std::all_of(pop.begin(), pop.end(), [](unsigned char c) { return std::isxdigit(c); });
  if (!ok) {
    throw Error(ErrorCode::bad_input,
                fmt::format("pop must be 64 hex digits (the device's AT+POP? answer), got {} characters", pop.size()),
                "pop");
  }
  std::string out(pop);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::optional<std::string> checked_csr(std::optional<std::string> csr) {
  if (!csr) return csr;
  if (csr->size() > kMaxPemChars || csr->find("-----BEGIN CERTIFICATE REQUEST-----") == std::string::npos) {
    throw Error(ErrorCode::bad_input, "csr must be one PEM \"CERTIFICATE REQUEST\" of at most 16 KiB", "csr");
  }
  return csr;
}

// Validates every field; the same checks run on the station (before sending) and on the CA (on receipt).
RegisterRequest normalized(RegisterRequest request) {
  request.uuid = normalize_uuid(request.uuid);
  request.psk = normalize_psk(request.psk);
  request.mac = mac_hex(parse_mac(request.mac));
  request.type = normalize_type(request.type);
  request.csr = checked_csr(std::move(request.csr));
  if (request.pop) request.pop = normalize_pop(*request.pop);
  return request;
}

}  // namespace

std::string encode_register_request(const RegisterRequest& input) {
  RegisterRequest request = normalized(input);
  Json json = {{"uuid", request.uuid}, {"psk", request.psk}, {"mac", request.mac}, {"type", request.type}};
  if (request.csr) json["csr"] = *request.csr;
  if (request.pop) json["pop"] = *request.pop;
  return json.dump();
}

RegisterRequest decode_register_request(std::string_view body) {
  Json json = parse_object(body, ErrorCode::bad_input, "the request body");
  RegisterRequest request;
  request.uuid = required_string(json, "uuid", ErrorCode::bad_input);
  request.psk = required_string(json, "psk", ErrorCode::bad_input);
  request.mac = required_string(json, "mac", ErrorCode::bad_input);
  request.type = required_string(json, "type", ErrorCode::bad_input);
  request.csr = optional_string(json, "csr", ErrorCode::bad_input);
  request.pop = optional_string(json, "pop", ErrorCode::bad_input);
  return normalized(std::move(request));
}

std::string encode_register_response(const RegisterResponse& response) {
  Json json = {{"success", true},
               {"certificate", response.certificate},
               {"ca_cert", response.ca_cert},
               {"expiry", response.expiry}};
  if (response.private_key) json["private_key"] = *response.private_key;
  return json.dump();
}

RegisterResponse decode_register_response(std::string_view body) {
  Json json = parse_object(body, ErrorCode::ca_bad_response, "the CA's answer");
  auto success = json.find("success");
  if (success == json.end() || !success->is_boolean() || !success->get<bool>()) {
    throw Error(ErrorCode::ca_bad_response, "the CA's answer has no \"success\": true", "success");
  }
  RegisterResponse response;
  response.certificate = required_string(json, "certificate", ErrorCode::ca_bad_response);
  response.ca_cert = required_string(json, "ca_cert", ErrorCode::ca_bad_response);
  response.expiry = optional_string(json, "expiry", ErrorCode::ca_bad_response).value_or("");
  response.private_key = optional_string(json, "private_key", ErrorCode::ca_bad_response);
  return response;
}

std::string encode_error_body(const CaErrorBody& error) {
  Json detail = {{"code", error.code}, {"message", error.message}};
  if (!error.field.empty()) detail["field"] = error.field;
  return Json{{"success", false}, {"error", detail}}.dump();
}

CaErrorBody decode_error_body(std::string_view body) {
  Json json = Json::parse(body.begin(), body.end(), nullptr, false);
  CaErrorBody error;
  if (json.is_discarded() || !json.is_object()) return error;
  auto detail = json.find("error");
  if (detail != json.end() && detail->is_object()) {
    error.code = detail->value("code", "");
    error.message = detail->value("message", "");
    error.field = detail->value("field", "");
  } else if (detail != json.end() && detail->is_string()) {
    error.message = detail->get<std::string>();  // {"success":false,"error":"text"} from simpler CAs
  } else if (json.contains("message") && json["message"].is_string()) {
    error.message = json["message"].get<std::string>();
  }
  return error;
}

}  // namespace provision::ca
