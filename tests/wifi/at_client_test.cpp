// The AT console client against espprov-sim in app mode (the firmware core and its simulated radio; the built-in
// access point table holds hostile SSIDs, an open network and an access point that never answers).
#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "provision/wifi.hpp"
#include "sim/sim_run.hpp"
#include "wifi/wifi_support.hpp"

namespace at_client_test {

namespace wifi = provision::wifi;
using provision::ErrorCode;
using sim_test::SimRun;
using wifi_test::code_of;
using wifi_test::on_port;
using namespace std::chrono_literals;

namespace {

wifi::WifiSettings settings_for(const wifi_test::TestAp& ap) { return {ap.ssid, ap.password, ap.password.empty()}; }

wifi::ConfigureOptions quick(bool reboot = false) {
  wifi::ConfigureOptions options;
  options.no_reboot = !reboot;
  options.connect_timeout = 5s;
  return options;
}

wifi::ConnectResult configure(const std::string& port, const wifi::WifiSettings& s, wifi::ConfigureOptions o) {
  return on_port<wifi::ConnectResult>(port, [&](wifi::Link& link) -> boost::asio::awaitable<wifi::ConnectResult> {
    co_await wifi::wait_ready(link, 5s);
    co_return co_await wifi::configure(link, s, o);
  });
}

}  // namespace

TEST_CASE("wifi at: configure connects, reports ip and rssi, reboots, and the network is saved", "[wifi][sim]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  const auto& port = sim.devices()[0].port;
  auto result = configure(port, {"espprov-lab", "correct horse battery", false}, quick(true));
  CHECK(result.ip.rfind("192.168.4.", 0) == 0);
  CHECK(result.rssi_dbm == -42);
  CHECK(result.rebooted);
  auto fields = wifi::connect_fields(result);
  CHECK(fields["wifi_ssid"] == "espprov-lab");
  CHECK(fields["ip"] == result.ip);
  auto info = on_port<wifi::DeviceInfo>(port, [](wifi::Link& link) { return wifi::info(link); });
  CHECK(info.chip == "esp32c3");
  CHECK(info.mac == sim.devices()[0].mac);
  CHECK(info.saved_networks == 1);
  CHECK_FALSE(info.fw_version.empty());
  auto saved = on_port<std::vector<wifi::SavedNetwork>>(port, [](wifi::Link& link) { return wifi::list(link); });
  REQUIRE(saved.size() == 1);
  CHECK(saved[0].ssid == "espprov-lab");
}

TEST_CASE("wifi at: wrong password, missing AP and silent AP give distinct errors without the password", "[wifi][sim]") {
  test_support::TempDir dir;
  {
    std::ofstream aps(dir / "aps.json");
    aps << R"([{"ssid":"lab","password":"right-pass-1","connect_ms":100},
               {"ssid":"gives up","password":"whatever12","connect_ms":200,"answers":false},
               {"ssid":"silent","password":"whatever12","connect_ms":10000,"answers":false}])";
  }
  // Radio timing on, so the silent access point really takes its 10 s and the station gives up first.
  SimRun sim(1, "esp32c3", {"--boot", "app", "--aps", (dir / "aps.json").string(), "--flash-timing", "on"});
  const auto& port = sim.devices()[0].port;
  std::string message;
  CHECK(code_of([&] { configure(port, {"lab", "wrong-pass-9", false}, quick()); }, &message) ==
        ErrorCode::wifi_wrong_password);
  CHECK(message.find("wrong-pass-9") == std::string::npos);
  CHECK(message.find("'lab'") != std::string::npos);
  CHECK(code_of([&] { configure(port, {"no such net", "whatever12", false}, quick()); }) == ErrorCode::wifi_ap_not_found);
  // The device gives up by itself (+WIFI:FAILED,timeout), and the station gives up first (--connect-timeout).
  CHECK(code_of([&] { configure(port, {"gives up", "whatever12", false}, quick()); }) == ErrorCode::wifi_timeout);
  auto options = quick();
  options.connect_timeout = 800ms;
  CHECK(code_of([&] { configure(port, {"silent", "whatever12", false}, options); }, &message) ==
        ErrorCode::wifi_timeout);
  CHECK(message.find("--connect-timeout") != std::string::npos);
}

TEST_CASE("wifi at: every special character class in SSID and password round-trips exactly", "[wifi][sim]") {
  test_support::TempDir dir;
  SimRun sim(1, "esp32c3", {"--boot", "app", "--aps", wifi_test::write_hostile_aps(dir).string()});
  const auto& port = sim.devices()[0].port;
  const auto& aps = wifi_test::hostile_aps();
  for (const auto& ap : aps) {
    INFO("ssid " << ap.ssid);
    auto result = configure(port, settings_for(ap), quick());
    CHECK(result.ssid == ap.ssid);
    auto status = on_port<wifi::WifiStatus>(port, [](wifi::Link& link) { return wifi::status(link); });
    CHECK(status.state == "connected");
    CHECK(status.ssid == ap.ssid);
  }
  auto saved = on_port<std::vector<wifi::SavedNetwork>>(port, [](wifi::Link& link) { return wifi::list(link); });
  REQUIRE(saved.size() == aps.size());
  CHECK(saved[0].ssid == aps.back().ssid);  // the last one connected is network 0
  auto networks = on_port<std::vector<wifi::ScannedNetwork>>(port, [](wifi::Link& link) { return wifi::scan(link); });
  std::vector<std::string> ssids;
  for (const auto& n : networks) ssids.push_back(n.ssid);
  for (const auto& ap : aps) CHECK(std::find(ssids.begin(), ssids.end(), ap.ssid) != ssids.end());
}

TEST_CASE("wifi at: the 9th saved network is refused with wifi_list_full, by ADD and by CONNECT", "[wifi][sim]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  const auto& port = sim.devices()[0].port;
  std::string message;
  on_port<int>(port, [&](wifi::Link& link) -> boost::asio::awaitable<int> {
    co_await wifi::wait_ready(link, 5s);
    for (int i = 0; i < 8; ++i) {
      wifi::WifiSettings network{"net-" + std::to_string(i), "password-" + std::to_string(i)};
      co_await wifi::add(link, network);
    }
    wifi::WifiSettings update{"net-3", "another-password"};
    co_await wifi::add(link, update);  // a saved SSID is updated, not added
    co_return 0;
  });
  CHECK(code_of([&] { on_port<int>(port, [](wifi::Link& link) -> boost::asio::awaitable<int> {
                        wifi::WifiSettings ninth{"net-8", "password-8"};
                        co_await wifi::add(link, ninth);
                        co_return 0;
                      }); }, &message) == ErrorCode::wifi_list_full);
  CHECK(message.find("8 saved networks") != std::string::npos);
  CHECK(code_of([&] { configure(port, {"espprov-lab", "correct horse battery", false}, quick()); }) ==
        ErrorCode::wifi_list_full);
  auto saved = on_port<std::vector<wifi::SavedNetwork>>(port, [](wifi::Link& link) { return wifi::list(link); });
  CHECK(saved.size() == 8);
}

TEST_CASE("wifi at: reorder then reboot connects in the new order, delete and select work", "[wifi][sim]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  const auto& port = sim.devices()[0].port;
  auto connected_after_reboot = [&]() {
    return on_port<std::string>(port, [](wifi::Link& link) -> boost::asio::awaitable<std::string> {
      co_await wifi::reboot(link, 5s);
      std::string ssid = "(never connected)";
      for (int i = 0; i < 50; ++i) {
        auto s = co_await wifi::status(link);
        if (s.state == "connected") {
          ssid = s.ssid;
          break;
        }
        co_await link.delay(100ms);
      }
      co_return ssid;
    });
  };
  on_port<int>(port, [](wifi::Link& link) -> boost::asio::awaitable<int> {
    co_await wifi::wait_ready(link, 5s);
    wifi::WifiSettings lab{"espprov-lab", "correct horse battery"}, lobby{"open lobby", "", true};
    co_await wifi::add(link, lab);
    co_await wifi::add(link, lobby);
    co_return 0;
  });
  CHECK(connected_after_reboot() == "espprov-lab");
  on_port<int>(port, [](wifi::Link& link) -> boost::asio::awaitable<int> {
    const std::string lobby = "open lobby";
    co_await wifi::move(link, lobby, 0);
    auto saved = co_await wifi::list(link);
    CHECK(saved.at(0).ssid == "open lobby");
    co_return 0;
  });
  CHECK(connected_after_reboot() == "open lobby");
  auto selected = on_port<wifi::ConnectResult>(port, [](wifi::Link& link) -> boost::asio::awaitable<wifi::ConnectResult> {
    const std::string lab = "espprov-lab";  // outlives the co_await (select keeps a reference)
    co_return co_await wifi::select(link, lab, 5s);
  });
  CHECK(selected.rssi_dbm == -42);
  std::string message;
  CHECK(code_of([&] { on_port<int>(port, [](wifi::Link& link) -> boost::asio::awaitable<int> {
                        const std::string missing = "not saved";
                        co_await wifi::remove(link, missing);
                        co_return 0;
                      }); }, &message) == ErrorCode::firmware_error);
  CHECK(message.find("not_found") != std::string::npos);
  CHECK(code_of([&] { on_port<int>(port, [](wifi::Link& link) -> boost::asio::awaitable<int> {
                        const std::string lobby = "open lobby";
                        co_await wifi::move(link, lobby, 5);
                        co_return 0;
                      }); }) == ErrorCode::firmware_error);
}

TEST_CASE("wifi at: the password never appears in the trace, the device still gets it", "[wifi][sim]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  const auto& port = sim.devices()[0].port;
  std::string trace;
  auto sink = [&](provision::serial::Direction d, std::span<const std::uint8_t> bytes) {
    trace += provision::serial::format_trace("P", d, bytes);
    trace.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  on_port<int>(port, [](wifi::Link& link) -> boost::asio::awaitable<int> {
    co_await wifi::wait_ready(link, 5s);
    wifi::WifiSettings cafe{"Cafe, \"Guest\" = free", "p@ss,word=\"x\"", false}, lab{"espprov-lab", "correct horse battery"};
    co_await wifi::configure(link, cafe, quick());
    co_await wifi::add(link, lab);
    co_return 0;
  }, sink);
  CHECK(trace.find("AT+WIFI_PASSWORD=\"") != std::string::npos);
  CHECK(trace.find("p@ss") == std::string::npos);
  CHECK(trace.find("correct horse") == std::string::npos);
  CHECK(trace.find("+WIFI:CONNECTED") != std::string::npos);
}

TEST_CASE("wifi at: inputs are checked before anything is sent", "[wifi][sim]") {
  wifi_test::ScriptedPeer peer;
  peer.run("", [](const std::string&) { return std::string("OK\r\n"); });
  CHECK(code_of([&] { configure(peer.path(), {"", "password-1", false}, quick()); }) == ErrorCode::bad_input);
  CHECK(code_of([&] { configure(peer.path(), {"net", "short", false}, quick()); }) == ErrorCode::bad_input);
  CHECK(code_of([&] { configure(peer.path(), {"net", "", false}, quick()); }) == ErrorCode::bad_input);
  CHECK(code_of([&] { configure(peer.path(), {std::string(33, 'x'), "password-1", false}, quick()); }) ==
        ErrorCode::bad_input);
  std::string message;
  CHECK(code_of([&] { configure(peer.path(), {"net", "m\xC3\xBCnchen-2024", false}, quick()); }, &message) ==
        ErrorCode::bad_input);  // WPA2 passphrases are printable ASCII
  CHECK(message.find("nchen") == std::string::npos);
  // wait_ready did probe (AT), but no WIFI command went out.
  CHECK(peer.received().find("AT+WIFI") == std::string::npos);
}

}  // namespace at_client_test
