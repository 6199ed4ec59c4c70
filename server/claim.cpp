// Claiming (seed 002, issue 9): a user links a registered device to their account with the PoP read from it, and
// unbinds it later; the device can then be claimed again with the same PoP. Every change is kept in `events`.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "api.hpp"
#include "provision/identity.hpp"

namespace provision::ca::server {

namespace asio = boost::asio;
using Json = nlohmann::ordered_json;

namespace {

constexpr std::size_t kMaxTextChars = 128;
constexpr auto kAttemptWindow = std::chrono::minutes(1);

std::string string_member(const Json& json, const char* name, bool required, std::size_t max_chars) {
  auto it = json.find(name);
  if (it == json.end() || it->is_null()) {
    if (required) throw Error(ErrorCode::bad_input, fmt::format("\"{}\" is missing", name), name);
    return "";
  }
  if (!it->is_string()) throw Error(ErrorCode::bad_input, fmt::format("\"{}\" must be a string", name), name);
  auto value = it->get<std::string>();
  if ((required && value.empty()) || value.size() > max_chars) {
    throw Error(ErrorCode::bad_input, fmt::format("\"{}\" must have 1 to {} characters", name, max_chars), name);
  }
  return value;
}

Json parse_body(const HttpRequest& request) {
  Json json = Json::parse(request.body(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    throw Error(ErrorCode::bad_input, "the body is not a JSON object", "body");
  }
  return json;
}

// The PoP as registered (lower-case hex): the device's secret, which both claim and unbind require.
std::string pop_member(const Json& json) {
  std::string pop = string_member(json, "proofOfPossession", true, kMaxTextChars);
  for (auto& c : pop) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return pop;
}

Json device_json(const DeviceRow& row) {
  return {{"success", true},          {"deviceId", row.uuid},      {"macAddress", row.mac},
          {"userId", row.owner},      {"deviceName", row.device_name}, {"location", row.location},
          {"claimedAt", row.claimed_at}};
}

}  // namespace

bool Api::claim_allowed(const std::string& uuid) {
  std::lock_guard lock(attempts_mutex_);
  auto& attempts = claim_attempts_[uuid];
  if (std::chrono::steady_clock::now() - attempts.window_start > kAttemptWindow) attempts = {};
  return attempts.failures < settings_.claim_attempts_per_minute;
}

void Api::claim_failed(const std::string& uuid) {
  std::lock_guard lock(attempts_mutex_);
  auto& attempts = claim_attempts_[uuid];
  if (attempts.failures++ == 0) attempts.window_start = std::chrono::steady_clock::now();
}

// 429 after too many failures for this device within a minute, 403 for a wrong PoP (counted), else nullopt.
std::optional<HttpResponse> Api::check_pop(const DeviceRow& device, const std::string& pop) {
  if (!claim_allowed(device.uuid)) {
    auto response = error(429, "rate_limited",
                          fmt::format("too many failed claims for this device; wait a minute (limit {} a minute)",
                                      settings_.claim_attempts_per_minute),
                          "proofOfPossession");
    response.set(http::field::retry_after, "60");
    return response;
  }
  if (device.pop_sha256.empty() || !constant_time_equal(sha256_hex(pop), device.pop_sha256)) {
    claim_failed(device.uuid);
    return error(403, "forbidden", "the proof of possession does not match this device", "proofOfPossession");
  }
  return std::nullopt;
}

asio::awaitable<HttpResponse> Api::claim(const HttpRequest& request) {
  Json body = parse_body(request);
  std::string mac_text = string_member(body, "macAddress", true, kMaxTextChars);
  std::string mac;
  try {
    mac = mac_hex(parse_mac(mac_text));
  } catch (const Error& e) {
    throw Error(ErrorCode::bad_input, e.what(), "macAddress");
  }
  std::string pop = pop_member(body);
  std::string user = string_member(body, "userId", true, kMaxTextChars);
  std::string name = string_member(body, "deviceName", false, kMaxTextChars);
  std::string location = string_member(body, "location", false, kMaxTextChars);

  auto device = registry_.find_mac(mac);
  if (!device) co_return error(404, "not_registered", fmt::format("no device with mac {}", mac), "macAddress");
  if (auto refused = check_pop(*device, pop)) co_return *refused;
  std::optional<DeviceRow> result;
  co_await commit(registry_, [&](Transaction& txn) {
    result.reset();
    const DeviceRow* current = txn.find_uuid(device->uuid);
    if (!current->owner.empty() && current->owner != user) return;  // claimed meanwhile by someone else
    DeviceRow row = *current;
    if (row.owner.empty()) row.claimed_at = now_rfc3339_ms();
    row.owner = user;
    row.device_name = name;
    row.location = location;
    row.updated_at = now_rfc3339_ms();
    txn.update(row);
    txn.event(row.uuid, "claim", user, name);
    result = row;
  });
  if (!result) co_return error(409, "already_claimed", "the device is claimed by another user; they must unbind it",
                               "macAddress");
  co_return json_response(200, device_json(*result).dump());
}

asio::awaitable<HttpResponse> Api::unbind(const HttpRequest& request) {
  Json body = parse_body(request);
  std::string device_id = normalize_uuid(string_member(body, "deviceId", true, kMaxTextChars));
  std::string user = string_member(body, "userId", true, kMaxTextChars);
  std::string pop = pop_member(body);
  auto device = registry_.find_uuid(device_id);
  if (!device) co_return error(404, "not_registered", fmt::format("no device {}", device_id), "deviceId");
  // The userId alone is only a name anyone can send: the PoP proves the caller holds the device's secret.
  if (auto refused = check_pop(*device, pop)) co_return *refused;
  bool owner = false;
  co_await commit(registry_, [&](Transaction& txn) {
    owner = false;
    const DeviceRow* current = txn.find_uuid(device_id);
    if (current->owner.empty() || current->owner != user) return;
    owner = true;
    DeviceRow row = *current;
    row.owner.clear();
    row.device_name.clear();
    row.location.clear();
    row.claimed_at.clear();
    row.updated_at = now_rfc3339_ms();
    txn.update(row);
    txn.event(row.uuid, "unbind", user, "");
  });
  if (!owner) co_return error(403, "not_owner", "only the user who claimed the device can unbind it", "userId");
  co_return json_response(200, Json{{"success", true}, {"deviceId", device_id}}.dump());
}

}  // namespace provision::ca::server
