#include "fw/ble_network_ops.hpp"

#include <cstdio>

namespace fw {
namespace {

using blemsg::encode_tlv;
using blemsg::encode_u8;
using blemsg::Field;
using blemsg::Op;
using blemsg::Status;

Status status_of(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok: return Status::ok;
    case Outcome::bad_argument: return Status::bad_argument;
    case Outcome::ssid_length: return Status::ssid_length;
    case Outcome::password_length: return Status::password_length;
    case Outcome::password_chars: return Status::password_chars;
    case Outcome::no_ssid: return Status::bad_argument;
    case Outcome::list_full: return Status::list_full;
    case Outcome::not_found: return Status::not_found;
    case Outcome::busy: return Status::busy;
    case Outcome::flash: return Status::flash;
  }
  return Status::bad_argument;
}

// The wire codes of §7.5 are the enums' order; these pin it, so reordering an enum cannot change the wire.
static_assert(static_cast<int>(WifiAuth::open) == 0 && static_cast<int>(WifiAuth::wpa2_wpa3) == 5);
static_assert(static_cast<int>(WifiState::idle) == 0 && static_cast<int>(WifiState::failed) == 3);
static_assert(static_cast<int>(WifiFailure::wrong_password) == 0 && static_cast<int>(WifiFailure::other) == 3);

std::uint8_t auth_code(WifiAuth auth) { return static_cast<std::uint8_t>(auth); }

std::uint8_t state_code(WifiState state) { return static_cast<std::uint8_t>(state); }

std::uint8_t reason_code(WifiFailure failure) { return static_cast<std::uint8_t>(failure); }

std::string ip_bytes(const std::string& dotted) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (std::sscanf(dotted.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) != 4) a = b = c = d = 0;
  return std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)};
}

// The fields a request must carry, read once; `ok` is false for a missing, duplicated or wrongly sized field.
struct Arguments {
  std::string ssid;
  std::string password;
  std::size_t index = 0;
  bool ok = true;
};

Arguments read_arguments(const blemsg::Request& request, bool need_password, bool need_index) {
  Arguments args;
  bool duplicate = false;
  auto ssid = blemsg::find_field(request.fields, Field::ssid, duplicate);
  auto password = blemsg::find_field(request.fields, Field::password, duplicate);
  auto index = blemsg::find_field(request.fields, Field::index, duplicate);
  if (duplicate || !ssid || (need_password && !password) || (need_index && (!index || index->size() != 1))) {
    args.ok = false;
    return args;
  }
  args.ssid = *ssid;
  if (password) args.password = *password;
  if (index && index->size() == 1) args.index = static_cast<std::uint8_t>((*index)[0]);
  return args;
}

std::string saved_list(const ProvisioningService& service) {
  std::string fields;
  const auto& networks = service.saved_networks();
  for (std::size_t i = 0; i < networks.size(); ++i) {
    const std::string entry = encode_tlv(Field::ssid, networks[i].ssid) +
                              encode_u8(Field::index, static_cast<std::uint8_t>(i));
    fields += encode_tlv(Field::network, entry);  // passwords are never sent back
  }
  return fields;
}

std::string scan_list(ProvisioningService& service) {
  std::string fields;
  for (const auto& ap : service.scan()) {
    bool saved = false;
    for (const auto& network : service.saved_networks()) saved = saved || network.ssid == ap.ssid;
    const std::string entry = encode_tlv(Field::ssid, ap.ssid) +
                              encode_u8(Field::rssi, static_cast<std::uint8_t>(static_cast<std::int8_t>(ap.rssi_dbm))) +
                              encode_u8(Field::auth, auth_code(ap.auth)) +
                              encode_u8(Field::channel, static_cast<std::uint8_t>(ap.channel)) +
                              encode_u8(Field::saved, saved ? 1 : 0);
    fields += encode_tlv(Field::access_point, entry);
  }
  return fields;
}

std::string status_fields(const WifiStatus& status) {
  return encode_u8(Field::state, state_code(status.state)) + encode_tlv(Field::ssid, status.ssid) +
         encode_tlv(Field::ip, ip_bytes(status.ip)) +
         encode_u8(Field::rssi, static_cast<std::uint8_t>(static_cast<std::int8_t>(status.rssi_dbm)));
}

}  // namespace

std::string network_error_response(Status status) { return blemsg::encode_response(0, 0, status, {}); }

std::string handle_network_request(ProvisioningService& service, std::string_view message) {
  const auto request = blemsg::decode_request(message);
  if (!request) {
    const std::uint8_t op = message.empty() ? 0 : static_cast<std::uint8_t>(message[0]);
    const std::uint8_t id = message.size() < 2 ? 0 : static_cast<std::uint8_t>(message[1]);
    return blemsg::encode_response(op, id, Status::malformed, {});
  }
  const auto op = static_cast<std::uint8_t>(request->op);
  const auto reply = [&](Status status, const std::string& fields = {}) {
    return blemsg::encode_response(op, request->id, status, fields);
  };
  switch (request->op) {
    case Op::list_saved: return reply(Status::ok, saved_list(service));
    case Op::scan: return reply(Status::ok, scan_list(service));
    case Op::wifi_status: return reply(Status::ok, status_fields(service.status()));
    case Op::add:
    case Op::move:
    case Op::remove:
    case Op::select: {
      const Arguments args = read_arguments(*request, request->op == Op::add, request->op == Op::move);
      if (!args.ok) return reply(Status::malformed);
      Outcome outcome = Outcome::bad_argument;
      if (request->op == Op::add) outcome = service.add_network(args.ssid, args.password);
      if (request->op == Op::move) outcome = service.move_network(args.ssid, args.index);
      if (request->op == Op::remove) outcome = service.delete_network(args.ssid);
      if (request->op == Op::select) outcome = service.select(args.ssid);
      return reply(status_of(outcome));
    }
    case Op::wifi_event: break;  // device to client only
  }
  return reply(Status::unknown_op);
}

std::string encode_wifi_event(const WifiStatus& status, const WifiFailure* failure) {
  std::string fields = status_fields(status);
  if (failure) fields += encode_u8(Field::reason, reason_code(*failure));
  return blemsg::encode_response(static_cast<std::uint8_t>(Op::wifi_event), 0, Status::ok, fields);
}

}  // namespace fw
