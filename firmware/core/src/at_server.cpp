#include "fw/at_server.hpp"

#include "fw/at_codec.hpp"

namespace fw {
namespace {

const char* auth_name(WifiAuth auth) {
  switch (auth) {
    case WifiAuth::open: return "open";
    case WifiAuth::wep: return "wep";
    case WifiAuth::wpa: return "wpa";
    case WifiAuth::wpa2: return "wpa2";
    case WifiAuth::wpa3: return "wpa3";
    case WifiAuth::wpa2_wpa3: return "wpa2_wpa3";
  }
  return "wpa2";
}

// The chip name is a bare token; anything else a port reports is quoted rather than sent malformed.
std::string bare_or_quoted(const std::string& value) { return is_bare_token(value) ? value : quote_at_string(value); }

}  // namespace

AtServer::AtServer(Platform& platform, ProvisioningService& service, FirmwareInfo info)
    : platform_(platform), service_(service), info_(info) {}

const std::vector<AtServer::Command>& AtServer::commands() {
  static const std::vector<Command> table = {
      {"INFO?", 0, 0, &AtServer::info},
      {"WIFI_SSID", 1, 1, &AtServer::wifi_ssid},
      {"WIFI_PASSWORD", 1, 1, &AtServer::wifi_password},
      {"WIFI_CONNECT", 0, 0, &AtServer::wifi_connect},
      {"WIFI_STATUS?", 0, 0, &AtServer::wifi_status},
      {"WIFI_SCAN", 0, 0, &AtServer::wifi_scan},
      {"WIFI_LIST?", 0, 0, &AtServer::wifi_list},
      {"WIFI_ADD", 2, 2, &AtServer::wifi_add},
      {"WIFI_DEL", 1, 1, &AtServer::wifi_del},
      {"WIFI_PRIO", 2, 2, &AtServer::wifi_prio},
      {"WIFI_SELECT", 1, 1, &AtServer::wifi_select},
      {"POP?", 0, 0, &AtServer::pop},
      {"FACTORY_RESET", 0, 0, &AtServer::factory_reset},
      {"REBOOT", 0, 0, &AtServer::reboot},
      {"BOOTLOADER", 0, 0, &AtServer::bootloader},
  };
  return table;
}

void AtServer::handle_line(std::string_view line) {
  if (line.empty()) return;  // a bare line ending (e.g. after an Improv frame) is not a command
  static const std::vector<std::string_view> raw_value_commands = {"WIFI_SSID", "WIFI_PASSWORD"};
  const AtParseResult parsed = parse_at_line(line, raw_value_commands);
  if (!parsed.command) {
    write_line(parsed.error == AtParseError::not_a_command ? "ERROR:unknown_command" : "ERROR:bad_argument");
    return;
  }
  const AtCommand& command = *parsed.command;
  if (command.name == "AT") {
    write_line("OK");
    return;
  }
  for (const auto& entry : commands()) {
    if (command.name != entry.name) continue;
    const std::size_t count = command.args.size();
    if (count < entry.min_args || count > entry.max_args || (command.has_equals && count == 0)) {
      write_line("ERROR:bad_argument");
      return;
    }
    (this->*entry.run)(command.args);
    return;
  }
  for (const auto& extension : extensions_) {
    if (extension(command.name, command.args)) return;
  }
  write_line("ERROR:unknown_command");
}

void AtServer::report_line_too_long() { write_line("ERROR:line_too_long"); }

void AtServer::info(const std::vector<std::string>&) {
  const Credentials& credentials = service_.credentials();
  write_line(std::string("+INFO:fw_name,") + quote_at_string(info_.name));
  write_line(std::string("+INFO:fw_version,") + quote_at_string(info_.version));
  write_line("+INFO:chip," + bare_or_quoted(platform_.chip_name()));
  write_line("+INFO:mac," + format_mac(platform_.factory_mac()));
  write_line("+INFO:uuid," + quote_at_string(credentials.provisioned() ? credentials.uuid : ""));
  write_line(std::string("+INFO:credentials,") + (credentials.provisioned() ? "yes" : "no"));
  write_line(std::string("+INFO:cert,") + (credentials.has_device_cert ? "yes" : "no"));
  write_line(std::string("+INFO:wifi,") + wifi_state_name(service_.status().state));
  write_line("+INFO:saved," + std::to_string(service_.saved_networks().size()));
  finish(Outcome::ok);
}

void AtServer::wifi_ssid(const std::vector<std::string>& args) { finish(service_.set_pending_ssid(args[0])); }

void AtServer::wifi_password(const std::vector<std::string>& args) {
  finish(service_.set_pending_password(args[0]));
}

void AtServer::wifi_connect(const std::vector<std::string>&) { finish(service_.connect_pending()); }

void AtServer::wifi_status(const std::vector<std::string>&) {
  const WifiStatus status = service_.status();
  write_line(std::string("+WIFI_STATUS:") + wifi_state_name(status.state) + "," + quote_at_string(status.ssid) + "," +
             status.ip + "," + std::to_string(status.rssi_dbm));
  finish(Outcome::ok);
}

void AtServer::wifi_scan(const std::vector<std::string>&) {
  for (const auto& ap : service_.scan()) {
    write_line("+WIFI_SCAN:" + quote_at_string(ap.ssid) + "," + std::to_string(ap.rssi_dbm) + "," +
               auth_name(ap.auth) + "," + std::to_string(ap.channel));
  }
  finish(Outcome::ok);
}

void AtServer::wifi_list(const std::vector<std::string>&) {
  const auto& networks = service_.saved_networks();
  for (std::size_t i = 0; i < networks.size(); ++i) {
    write_line("+WIFI_LIST:" + std::to_string(i) + "," + quote_at_string(networks[i].ssid));
  }
  finish(Outcome::ok);
}

void AtServer::wifi_add(const std::vector<std::string>& args) { finish(service_.add_network(args[0], args[1])); }

void AtServer::wifi_del(const std::vector<std::string>& args) { finish(service_.delete_network(args[0])); }

void AtServer::wifi_prio(const std::vector<std::string>& args) {
  const auto index = parse_at_decimal(args[1]);
  if (!index) {
    finish(Outcome::bad_argument);
    return;
  }
  finish(service_.move_network(args[0], static_cast<std::size_t>(*index)));
}

void AtServer::wifi_select(const std::vector<std::string>& args) { finish(service_.select(args[0])); }

void AtServer::pop(const std::vector<std::string>&) {
  const auto& pop = service_.pop();
  write_line("+POP:" + to_lower_hex(pop.data(), pop.size()));
  finish(Outcome::ok);
}

void AtServer::factory_reset(const std::vector<std::string>&) {
  const Outcome outcome = service_.factory_reset();
  finish(outcome);
  if (outcome == Outcome::ok) platform_.restart(BootMode::app);
}

void AtServer::reboot(const std::vector<std::string>&) {
  finish(Outcome::ok);
  platform_.restart(BootMode::app);
}

void AtServer::bootloader(const std::vector<std::string>&) {
  finish(Outcome::ok);
  platform_.restart(BootMode::download);
}

void AtServer::on_wifi_connected(const std::string& ip, int rssi_dbm) {
  write_line("+WIFI:CONNECTED," + ip + "," + std::to_string(rssi_dbm));
}

void AtServer::on_wifi_failed(WifiFailure failure) {
  write_line(std::string("+WIFI:FAILED,") + wifi_failure_name(failure));
}

void AtServer::on_wifi_disconnected() { write_line("+WIFI:DISCONNECTED"); }

void AtServer::finish(Outcome outcome) {
  write_line(outcome == Outcome::ok ? std::string("OK") : std::string("ERROR:") + outcome_code(outcome));
}

void AtServer::write_line(const std::string& line) { platform_.console_write(line + "\r\n"); }

}  // namespace fw
