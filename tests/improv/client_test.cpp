// The Improv Wi-Fi serial client: end to end against espprov-sim in app mode, and against a scripted peer that
// sends hostile frames (wrong checksum, unknown type, wrong lengths, a frame cut off).
#include <catch2/catch.hpp>
#include <string>

#include "provision/improv.hpp"
#include "provision/wifi.hpp"
#include "sim/sim_run.hpp"
#include "wifi/wifi_support.hpp"

namespace client_test {

namespace improv = provision::improv;
namespace wifi = provision::wifi;
using provision::ErrorCode;
using sim_test::SimRun;
using wifi_test::code_of;
using wifi_test::on_port;
using namespace std::chrono_literals;

namespace {

std::string frame(improv::PacketType type, std::vector<std::uint8_t> data) {
  auto bytes = improv::encode_frame(type, data);
  return std::string(bytes.begin(), bytes.end()) + "\n";
}

std::string device_info_result() {
  std::vector<std::uint8_t> data{0x03, 0};
  for (std::string s : {"fw", "1.0", "ESP32", "dev"}) {
    data.push_back(static_cast<std::uint8_t>(s.size()));
    data.insert(data.end(), s.begin(), s.end());
  }
  data[1] = static_cast<std::uint8_t>(data.size() - 2);
  return frame(improv::PacketType::rpc_result, data);
}

std::string mac_tail_hex(const std::string& mac) {  // "24:0A:C4:12:34:56" -> "123456"
  std::string tail = mac.substr(9);
  std::string out;
  for (char c : tail) {
    if (c != ':') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// A peer that answers every Improv request with `answer` (and AT lines with ERROR, as a non-Improv firmware).
ErrorCode device_info_against(const std::string& answer, std::string* message = nullptr) {
  wifi_test::ScriptedPeer peer;
  peer.run("", [answer](const std::string& unit) {
    return unit.rfind("IMPROV", 0) == 0 ? answer : std::string("ERROR:unknown_command\r\n");
  });
  return code_of([&] {
    on_port<improv::DeviceInfo>(peer.path(), [](provision::serial::Link& link) -> boost::asio::awaitable<improv::DeviceInfo> {
      improv::Client client(link, 1500ms);
      co_return co_await client.device_info();
    });
  }, message);
}

}  // namespace

TEST_CASE("improv client: device info, scan, provision and a wrong password against the simulator", "[improv][sim]") {
  test_support::TempDir dir;
  SimRun sim(1, "esp32c3", {"--boot", "app", "--aps", wifi_test::write_hostile_aps(dir).string()});
  const auto& device = sim.devices()[0];
  auto info = on_port<improv::DeviceInfo>(device.port, [](provision::serial::Link& link) -> boost::asio::awaitable<improv::DeviceInfo> {
    co_await wifi::wait_ready(link, 5s);  // the firmware boots first; Improv itself has no ready line
    improv::Client client(link);
    co_return co_await client.device_info();
  });
  CHECK(info.chip_family == "ESP32-C3");
  CHECK(info.device_name == "espprov-" + mac_tail_hex(device.mac));
  CHECK_FALSE(info.firmware_version.empty());

  auto networks = on_port<std::vector<improv::Network>>(device.port, [](provision::serial::Link& link)
                                                            -> boost::asio::awaitable<std::vector<improv::Network>> {
    improv::Client client(link);
    co_return co_await client.scan();
  });
  bool saw_open = false, saw_quotes = false;
  for (const auto& n : networks) {
    if (n.ssid == "open lobby") saw_open = !n.auth_required;
    if (n.ssid == "Cafe, \"Guest\" = free") saw_quotes = n.auth_required && n.rssi_dbm == -55;
  }
  CHECK(saw_open);
  CHECK(saw_quotes);

  const std::string ssid = "Caf\xC3\xA9 \xE2\x98\x95 Stra\xC3\x9F" "e";
  std::string message;
  CHECK(code_of([&] {
          on_port<improv::Provisioned>(device.port, [&](provision::serial::Link& link) -> boost::asio::awaitable<improv::Provisioned> {
            improv::Client client(link);
            wifi::WifiSettings wrong{ssid, "not-the-password", false};
            co_return co_await client.provision(wrong, 5s);
          });
        }, &message) == ErrorCode::wifi_failed);
  CHECK(message.find("unable to connect") != std::string::npos);
  CHECK(message.find("not-the-password") == std::string::npos);

  auto done = on_port<improv::Provisioned>(device.port, [&](provision::serial::Link& link) -> boost::asio::awaitable<improv::Provisioned> {
    improv::Client client(link);
    wifi::WifiSettings right{ssid, wifi_test::hostile_aps()[3].password, false};
    co_return co_await client.provision(right, 5s);
  });
  CHECK(done.ssid == ssid);
  CHECK(done.redirect_urls.empty());
  auto state = on_port<improv::State>(device.port, [](provision::serial::Link& link) -> boost::asio::awaitable<improv::State> {
    improv::Client client(link);
    co_return co_await client.current_state();
  });
  CHECK(state == improv::State::provisioned);
  // One provisioning service behind both protocols: the network is saved as network 0 for AT too.
  auto saved = on_port<std::vector<wifi::SavedNetwork>>(device.port, [](provision::serial::Link& link) { return wifi::list(link); });
  REQUIRE_FALSE(saved.empty());
  CHECK(saved[0].ssid == ssid);
}

TEST_CASE("improv client: probe finds the simulator, and an AT-only device is not taken for Improv", "[improv][sim]") {
  SimRun sim(1, "esp32s3", {"--boot", "app"});
  auto found = on_port<std::optional<improv::DeviceInfo>>(sim.devices()[0].port, [](provision::serial::Link& link)
                                                              -> boost::asio::awaitable<std::optional<improv::DeviceInfo>> {
    co_await wifi::wait_ready(link, 5s);
    co_return co_await improv::probe(link, 1000ms);
  });
  REQUIRE(found);
  CHECK(found->chip_family == "ESP32-S3");
  wifi_test::ScriptedPeer at_only;
  at_only.run("+READY\r\n", [](const std::string& unit) {
    return unit == "AT" ? std::string("OK\r\n") : std::string("ERROR:unknown_command\r\n");
  });
  auto none = on_port<std::optional<improv::DeviceInfo>>(at_only.path(), [](provision::serial::Link& link) {
    return improv::probe(link, 500ms);
  });
  CHECK_FALSE(none);
}

TEST_CASE("improv client: hostile frames are protocol errors naming the problem, never a hang", "[improv]") {
  const auto start = std::chrono::steady_clock::now();
  std::string message;
  CHECK(device_info_against(device_info_result()) == ErrorCode::internal);  // the good frame works: no error

  std::string bad_checksum = device_info_result();
  bad_checksum[bad_checksum.size() - 2] ^= 0x01;
  CHECK(device_info_against(bad_checksum, &message) == ErrorCode::protocol);
  CHECK(message.find("checksum") != std::string::npos);

  std::string unknown_type = device_info_result();
  unknown_type[7] = 0x09;
  CHECK(device_info_against(unknown_type, &message) == ErrorCode::protocol);
  CHECK(message.find("unknown type 0x09") != std::string::npos);

  // The RPC result's own length byte disagrees with the frame's.
  std::vector<std::uint8_t> short_rpc{0x03, 40, 2, 'f', 'w'};
  CHECK(device_info_against(frame(improv::PacketType::rpc_result, short_rpc), &message) == ErrorCode::protocol);
  CHECK(message.find("says 40 data bytes") != std::string::npos);

  // A string length runs past the end of the result.
  std::vector<std::uint8_t> overrun{0x03, 3, 9, 'a', 'b'};
  CHECK(device_info_against(frame(improv::PacketType::rpc_result, overrun), &message) == ErrorCode::protocol);

  // The frame's length field promises more than ever arrives: cut off.
  std::string cut = device_info_result();
  CHECK(device_info_against(cut.substr(0, cut.size() - 6), &message) == ErrorCode::protocol);
  CHECK(message.find("cut off") != std::string::npos);

  // A state frame with two bytes, a version-2 frame.
  CHECK(device_info_against(frame(improv::PacketType::error_state, {0x03, 0x00})) == ErrorCode::protocol);
  std::string v2 = device_info_result();
  v2[6] = 2;
  CHECK(device_info_against(v2, &message) == ErrorCode::protocol);
  CHECK(message.find("version 2") != std::string::npos);

  // Only garbage: no answer, a timeout.
  CHECK(device_info_against("IMPRO\x01garbage\r\n\xff\xfe\r\n", &message) == ErrorCode::device_timeout);
  CHECK(std::chrono::steady_clock::now() - start < 20s);
}

TEST_CASE("improv client: Improv error states map to error codes", "[improv]") {
  CHECK(improv::error_for(improv::ErrorState::unable_to_connect).code() == ErrorCode::wifi_failed);
  CHECK(improv::error_for(improv::ErrorState::invalid_rpc).code() == ErrorCode::firmware_error);
  CHECK(improv::error_for(improv::ErrorState::unknown).code() == ErrorCode::firmware_error);
  CHECK(device_info_against(frame(improv::PacketType::error_state, {0x02})) == ErrorCode::firmware_error);
}

}  // namespace client_test
