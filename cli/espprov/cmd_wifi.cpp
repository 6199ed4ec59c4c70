// espprov wifi: configure WiFi on the running firmware (AT console or Improv Wi-Fi serial). The saved-network
// subcommands (list, scan, add, delete, reorder, select) are in cmd_wifi_networks.cpp.
#include <boost/asio/this_coro.hpp>

#include "cmd_wifi_common.hpp"
#include "provision/files.hpp"
#include "provision/wait_notices.hpp"
#include "provision/wifi_transport.hpp"
#include "record_stream.hpp"
#include "secret_options.hpp"

namespace espprov::wifi_cli {

void add_password_options(CLI::App& sub, PasswordOptions& options) {
  sub.add_option("--password", options.password,
                 "WiFi password (visible in ps: prefer --password-file or $ESPPROV_WIFI_PASSWORD)")
      ->configurable(false);  // a station file is often readable by everyone: secrets stay in their own files
  sub.add_option("--password-file", options.password_file,
                 "Read the password from FILE (its first line, without the line end)");
  sub.add_flag("--open", options.open, "The network is open (no password)");
}

std::string resolve_password(const PasswordOptions& options, const provision::Record& record) {
  if (options.open) return {};
  constexpr SecretSource kPassword{"--password", "--password-file", "ESPPROV_WIFI_PASSWORD", "password"};
  if (auto password = resolve_secret(kPassword, options.password, options.password_file); !password.empty()) {
    return password;
  }
  if (record.contains("wifi_password") && record["wifi_password"].is_string()) {
    return record["wifi_password"].get<std::string>();
  }
  throw provision::Error(provision::ErrorCode::bad_input,
                         "password: none given; use --password-file FILE, $ESPPROV_WIFI_PASSWORD, --password, a "
                         "record with wifi_password on --in, or --open for an open network",
                         "password");
}

std::string resolve_ssid(const std::string& ssid, const provision::Record& record) {
  if (!ssid.empty()) return ssid;
  if (record.contains("wifi_ssid") && record["wifi_ssid"].is_string()) return record["wifi_ssid"].get<std::string>();
  throw provision::Error(provision::ErrorCode::bad_input, "ssid: none given; use --ssid or a record with wifi_ssid",
                         "ssid");
}

}  // namespace espprov::wifi_cli

namespace {
namespace cmd_wifi {

namespace wifi = provision::wifi;
using namespace espprov::wifi_cli;

struct WifiOptions {
  PortOptions port;
  PasswordOptions password;
  std::string in;
  std::string ssid;
  std::string protocol = "at";
  double connect_timeout_s = 20;
  bool no_reboot = false;
};

asio::awaitable<provision::Record> configure_over(provision::serial::Link& link, const WifiOptions& options,
                                                  const wifi::WifiSettings& settings) {
  wifi::TransportOptions transport;
  transport.protocol = wifi::parse_protocol(options.protocol, "protocol");
  transport.at.connect_timeout = seconds(options.connect_timeout_s);
  transport.at.ready_timeout = seconds(options.port.ready_timeout_s);
  transport.at.no_reboot = options.no_reboot;
  transport.at.progress = espprov::progress_sink();
  transport.at.device = link.name();
  auto executor = co_await asio::this_coro::executor;
  provision::WaitNotices notices(executor, transport.at.progress, {link.name(), "wifi", "WiFi"});
  co_return co_await wifi::configure_over(link, settings, transport);
}

provision::Record configure_one(const WifiOptions& options, provision::Record record) {
  wifi::WifiSettings settings;
  settings.ssid = resolve_ssid(options.ssid, record);
  settings.open = options.password.open;
  settings.password = resolve_password(options.password, record);
  wifi::validate(settings);  // before the port is even opened
  const std::string port = port_of(options.port, record);
  auto fields = run_on_port<provision::Record>(options.port, port, [&](provision::serial::Link& link) {
    return configure_over(link, options, settings);
  });
  provision::Record added = provision::Record::object();
  added["port"] = port;
  provision::merge_into(added, fields);
  provision::merge_into(record, added);
  return record;
}

// One record per board on --in (each naming its port) configures each board in turn.
void run(const WifiOptions& options) {
  const auto records = espprov::read_input_records(options.in);
  espprov::require_port_per_record(records, options.port.port, "wifi");
  espprov::for_each_record(records,
                           [&](provision::Record record) { return configure_one(options, std::move(record)); });
}

void setup(CLI::App& app) {
  auto options = std::make_shared<WifiOptions>();
  auto* sub = app.add_subcommand("wifi", "Configure WiFi on the running firmware, or manage its saved networks");
  sub->footer(
      "Sends AT+WIFI_SSID, AT+WIFI_PASSWORD, AT+WIFI_CONNECT, waits for the result, then AT+REBOOT (unless\n"
      "--no-reboot). Adds wifi_ssid, ip, rssi to the record. Failures exit 52 (wrong password), 53 (AP not\n"
      "found), 54 (timeout), 55 (other), 56 (8 networks saved). The password never appears in progress or --trace.\n"
      "Examples:\n"
      "  ESPPROV_WIFI_PASSWORD='p@ss,word' espprov wifi --port /dev/ttyUSB0 --ssid 'Lab, 2nd floor'\n"
      "  espprov wifi --port /dev/ttyUSB0 --ssid 'open lobby' --open --no-reboot\n"
      "  espprov wifi --port /dev/ttyUSB0 --ssid Lab --password-file lab.pass --protocol improv\n"
      "  espprov info --port /dev/ttyUSB0 | espprov wifi --in - --ssid Lab --password-file lab.pass\n"
      "Saved networks: espprov wifi list|scan|add|delete|reorder|select --help");
  add_port_options(*sub, options->port);
  sub->add_option("--ssid", options->ssid, "Network name (1..32 bytes, any characters); default: record's wifi_ssid");
  add_password_options(*sub, options->password);
  sub->add_option("--protocol", options->protocol,
                  "at (the firmware console), improv (Improv Wi-Fi serial), auto (Improv if it answers, else AT)")
      ->check(CLI::IsMember({"at", "improv", "auto"}))
      ->capture_default_str();
  sub->add_option("--connect-timeout", options->connect_timeout_s, "Seconds to wait for the connection result")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_flag("--no-reboot", options->no_reboot, "Do not send AT+REBOOT after connecting");
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub, true);
  sub->require_subcommand(0, 1);
  sub->callback([sub, options] {
    if (!sub->get_subcommands().empty()) return;  // a saved-network subcommand ran instead
    run(*options);
  });
}

const espprov::CommandRegistrar registrar{70, setup};

}  // namespace cmd_wifi
}  // namespace
