#include "fw/improv_server.hpp"

#include <cctype>

#include "fw/device_identity.hpp"

namespace fw {

using improv::Command;
using improv::Error;
using improv::FrameType;
using improv::State;

std::string improv_chip_family(const std::string& chip) {
  std::string family;
  for (char c : chip) family.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (family.size() > 5 && family.compare(0, 5, "ESP32") == 0) family.insert(5, "-");
  return family;
}

ImprovServer::ImprovServer(Platform& platform, ProvisioningService& service, FirmwareInfo info)
    : platform_(platform), service_(service), info_(info) {}

void ImprovServer::handle_frame(std::string_view bytes) {
  client_seen_ = true;
  const auto decoded = improv::decode_frame(bytes);
  if (!decoded.frame || decoded.frame->version != improv::kVersion) {
    send_error(Error::invalid_rpc);
    return;
  }
  // Only RPC commands travel towards the device; anything else is not ours to answer.
  if (decoded.frame->type != static_cast<std::uint8_t>(FrameType::rpc_command)) return;
  const auto rpc = improv::decode_rpc(decoded.frame->payload);
  if (!rpc) {
    send_error(Error::invalid_rpc);
    return;
  }
  handle_rpc(*rpc);
}

void ImprovServer::handle_rpc(const improv::Rpc& rpc) {
  switch (static_cast<Command>(rpc.command)) {
    case Command::wifi_settings:
      provision(rpc.data);
      return;
    case Command::current_state:
      send_state(current_state());
      if (current_state() == State::provisioned) send_redirect(Command::current_state);
      return;
    case Command::device_info: {
      const auto mac = platform_.factory_mac();
      send_result(Command::device_info,
                  {info_.name, info_.version, improv_chip_family(platform_.chip_name()),
                   "espprov-" + to_lower_hex(mac.data() + 3, 3)});
      return;
    }
    case Command::scan:
      for (const auto& ap : service_.scan()) {
        send_result(Command::scan, {ap.ssid, std::to_string(ap.rssi_dbm), ap.auth == WifiAuth::open ? "NO" : "YES"});
      }
      send_result(Command::scan, {});  // an empty result ends the list
      return;
  }
  send_error(Error::unknown_command);
}

void ImprovServer::provision(const std::string& data) {
  const auto strings = improv::decode_strings(data);
  if (!strings || strings->size() != 2) {
    send_error(Error::invalid_rpc);
    return;
  }
  switch (service_.connect((*strings)[0], (*strings)[1])) {
    case Outcome::ok:
      provisioning_ = true;
      send_state(State::provisioning);
      return;
    case Outcome::ssid_length:
    case Outcome::password_length:
    case Outcome::password_chars:
    case Outcome::bad_argument:
      send_error(Error::invalid_rpc);  // credentials no network can have: the request itself is wrong
      return;
    default:
      send_error(Error::unknown);  // busy, list_full, flash
      return;
  }
}

void ImprovServer::on_wifi_connected(const std::string&, int) {
  if (!client_seen_) return;
  send_state(State::provisioned);
  if (provisioning_) {
    provisioning_ = false;
    send_redirect(Command::wifi_settings);
  }
}

void ImprovServer::on_wifi_failed(WifiFailure) {
  if (!provisioning_) return;
  provisioning_ = false;
  send_error(Error::unable_to_connect);
  send_state(State::ready);
}

void ImprovServer::on_wifi_disconnected() {
  if (client_seen_) send_state(State::ready);
}

State ImprovServer::current_state() const {
  if (service_.status().state == WifiState::connected) return State::provisioned;
  if (provisioning_) return State::provisioning;
  return State::ready;  // no authorization step: the console is already physical access
}

void ImprovServer::send_redirect(Command command) {
  const std::string url = info_.improv_redirect_url ? info_.improv_redirect_url : "";
  send_result(command, url.empty() ? std::vector<std::string>{} : std::vector<std::string>{url});
}

void ImprovServer::send_state(State state) {
  send(FrameType::current_state, std::string(1, static_cast<char>(state)));
}

void ImprovServer::send_error(Error error) { send(FrameType::error_state, std::string(1, static_cast<char>(error))); }

void ImprovServer::send_result(Command command, const std::vector<std::string>& strings) {
  send(FrameType::rpc_result, improv::encode_rpc_result(command, strings));
}

// A line ending after each frame keeps line-based readers (an AT station, a terminal) in step.
void ImprovServer::send(FrameType type, const std::string& payload) {
  platform_.console_write(improv::encode_frame(type, payload) + "\n");
}

}  // namespace fw
