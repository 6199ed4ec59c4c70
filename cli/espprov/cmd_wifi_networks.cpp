// espprov wifi list|scan|add|delete|reorder|select: the firmware's saved networks (at most 8, in priority order)
// and the access points it sees. Each prints one JSON record; add, delete and reorder print the list after.
#include "cmd_wifi_common.hpp"
#include "provision/improv.hpp"

namespace {
namespace cmd_wifi_networks {

namespace wifi = provision::wifi;
namespace improv = provision::improv;
using namespace espprov::wifi_cli;
using provision::Record;
using provision::serial::Link;

struct NetworkOptions {
  PortOptions port;
  PasswordOptions password;
  std::string ssid;
  int index = 0;
  std::string protocol = "at";
  double connect_timeout_s = 20;
};

using Operation = std::function<asio::awaitable<Record>(Link&, const NetworkOptions&)>;

// Waits for the console, runs the operation, prints {"ok":true,"port":...,<fields>}.
void run(const NetworkOptions& options, const Operation& operation, bool console = true) {
  const std::string port = port_of(options.port, Record::object());
  auto fields = run_on_port<Record>(options.port, port, [&](Link& link) -> asio::awaitable<Record> {
    if (console) co_await wifi::wait_ready(link, seconds(options.port.ready_timeout_s));
    co_return co_await operation(link, options);
  });
  Record record = Record::object();
  record["port"] = port;
  provision::merge_into(record, fields);
  // The list a subcommand returns (access points, or the saved networks after a change) is a table in text
  // output and one row per network in csv.
  for (const char* list : {"networks", "saved"}) {
    if (!record.contains(list) || !record[list].is_array()) continue;
    const std::vector<Record> items(record[list].begin(), record[list].end());
    return espprov::emit_listing(record, items, list);
  }
  espprov::emit(record);
}

asio::awaitable<Record> saved_after(Link& link) { co_return wifi::saved_fields(co_await wifi::list(link)); }

CLI::App* add_network_command(CLI::App& wifi_app, const std::string& name, const std::string& what,
                              const std::string& example, std::shared_ptr<NetworkOptions> options) {
  auto* sub = wifi_app.add_subcommand(name, what);
  sub->footer("Example:\n  " + example);
  add_port_options(*sub, options->port);
  espprov::add_output_options(*sub, true);
  return sub;
}

void add_ssid_option(CLI::App& sub, NetworkOptions& options) {
  sub.add_option("--ssid", options.ssid, "Network name (exact bytes)")->required();
}

void setup_list_and_scan(CLI::App& wifi_app) {
  auto list = std::make_shared<NetworkOptions>();
  auto* list_cmd = add_network_command(wifi_app, "list", "Print the saved networks in priority order (no passwords)",
                                       "espprov wifi list --port /dev/ttyUSB0   ->  {\"ok\":true,...,\"saved\":"
                                       "[{\"index\":0,\"ssid\":\"Lab\"}]}",
                                       list);
  list_cmd->callback([list] { run(*list, [](Link& link, const NetworkOptions&) { return saved_after(link); }); });

  auto scan = std::make_shared<NetworkOptions>();
  auto* scan_cmd = add_network_command(wifi_app, "scan", "Print the access points the device sees, strongest first",
                                       "espprov wifi scan --port /dev/ttyUSB0 --format csv", scan);
  scan_cmd->add_option("--protocol", scan->protocol, "at (firmware console) or improv (Improv Wi-Fi serial)")
      ->check(CLI::IsMember({"at", "improv"}))
      ->capture_default_str();
  scan_cmd->callback([scan] {
    bool over_improv = scan->protocol == "improv";
    run(*scan,
        [over_improv](Link& link, const NetworkOptions&) -> asio::awaitable<Record> {
          if (over_improv) {
            improv::Client client(link);
            co_return improv::scan_fields(co_await client.scan());
          }
          co_return wifi::scan_fields(co_await wifi::scan(link));
        },
        !over_improv);
  });
}

void setup_changes(CLI::App& wifi_app) {
  auto add = std::make_shared<NetworkOptions>();
  auto* add_cmd = add_network_command(wifi_app, "add", "Save a network at the lowest priority (at most 8 saved)",
                                      "espprov wifi add --port /dev/ttyUSB0 --ssid 'Cafe, \"Guest\"' "
                                      "--password-file guest.pass",
                                      add);
  add_ssid_option(*add_cmd, *add);
  add_password_options(*add_cmd, add->password);
  add_cmd->callback([add] {
    wifi::WifiSettings settings{add->ssid, resolve_password(add->password, Record::object()), add->password.open};
    wifi::validate(settings);
    run(*add, [settings](Link& link, const NetworkOptions&) -> asio::awaitable<Record> {
      co_await wifi::add(link, settings);
      co_return co_await saved_after(link);
    });
  });

  auto del = std::make_shared<NetworkOptions>();
  auto* del_cmd = add_network_command(wifi_app, "delete", "Forget a saved network",
                                      "espprov wifi delete --port /dev/ttyUSB0 --ssid 'old net'", del);
  add_ssid_option(*del_cmd, *del);
  del_cmd->callback([del] {
    run(*del, [](Link& link, const NetworkOptions& o) -> asio::awaitable<Record> {
      co_await wifi::remove(link, o.ssid);
      co_return co_await saved_after(link);
    });
  });

  auto reorder = std::make_shared<NetworkOptions>();
  auto* reorder_cmd = add_network_command(wifi_app, "reorder", "Move a saved network to another priority (0 = first)",
                                          "espprov wifi reorder --port /dev/ttyUSB0 --ssid Backup --index 0", reorder);
  add_ssid_option(*reorder_cmd, *reorder);
  reorder_cmd->add_option("--index", reorder->index, "New priority, 0 (tried first) .. count-1")->required();
  reorder_cmd->callback([reorder] {
    run(*reorder, [](Link& link, const NetworkOptions& o) -> asio::awaitable<Record> {
      co_await wifi::move(link, o.ssid, o.index);
      co_return co_await saved_after(link);
    });
  });

  auto select = std::make_shared<NetworkOptions>();
  auto* select_cmd = add_network_command(wifi_app, "select", "Connect to a saved network now; prints ip and rssi",
                                         "espprov wifi select --port /dev/ttyUSB0 --ssid Backup", select);
  add_ssid_option(*select_cmd, *select);
  select_cmd->add_option("--connect-timeout", select->connect_timeout_s, "Seconds to wait for the result")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  select_cmd->callback([select] {
    run(*select, [](Link& link, const NetworkOptions& o) -> asio::awaitable<Record> {
      co_return wifi::connect_fields(co_await wifi::select(link, o.ssid, seconds(o.connect_timeout_s)));
    });
  });
}

void setup(CLI::App& app) {
  auto* wifi_app = app.get_subcommand("wifi");
  setup_list_and_scan(*wifi_app);
  setup_changes(*wifi_app);
}

// After cmd_wifi.cpp (order 70), which creates the wifi subcommand.
const espprov::CommandRegistrar registrar{71, setup};

}  // namespace cmd_wifi_networks
}  // namespace
