// The AT console client against a scripted device on a pseudo-terminal: boot noise, stray lines and binary frames
// around the answers, a console that missed +READY, and a device that never answers.
#include <catch2/catch.hpp>
#include <string>

#include "provision/improv.hpp"
#include "provision/wifi.hpp"
#include "wifi/wifi_support.hpp"

namespace at_console_peer_test {

namespace wifi = provision::wifi;
using provision::ErrorCode;
using wifi_test::code_of;
using wifi_test::on_port;
using namespace std::chrono_literals;

namespace {

std::string improv_state_frame() {
  std::vector<std::uint8_t> state{0x02};
  auto frame = provision::improv::encode_frame(provision::improv::PacketType::current_state, state);
  return std::string(frame.begin(), frame.end()) + "\n";
}

const std::string kInfoLines =
    "+INFO:fw_name,\"espprov-fw\"\r\n"
    "+INFO:fw_version,\"1.2.3\"\r\n"
    "I (412) wifi: a log line in the middle\r\n"
    "+WIFI:DISCONNECTED\r\n"
    "+INFO:chip,esp32s3\r\n"
    "+INFO:mac,24:0A:C4:00:00:01\r\n" +
    improv_state_frame() +
    "+INFO:uuid,\"04e4822c-719e-45b0-b360-7e2819faca53\"\r\n"
    "+INFO:credentials,yes\r\n"
    "+INFO:cert,no\r\n"
    "+INFO:wifi,idle\r\n"
    "+INFO:saved,0\r\n"
    "OK\r\n";

}  // namespace

TEST_CASE("wifi console: boot noise, stray lines, binary bytes and frames around the answers are ignored", "[wifi][console]") {
  wifi_test::ScriptedPeer peer;
  const std::string noise = std::string("ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET)\r\n\x01\x02\xff\xfe garbage") +
                            "\r\n" + improv_state_frame() + "OKAY is not OK\r\n";
  // No +READY: the station connected late and must probe with AT.
  peer.run(noise, [](const std::string& line) -> std::string {
    if (line == "AT") return "stray log before the answer\r\nOK\r\n";
    if (line == "AT+INFO?") return kInfoLines;
    return "ERROR:unknown_command\r\n";
  });
  auto info = on_port<wifi::DeviceInfo>(peer.path(), [](wifi::Link& link) -> boost::asio::awaitable<wifi::DeviceInfo> {
    co_await wifi::wait_ready(link, 5s);
    co_return co_await wifi::info(link);
  });
  CHECK(info.fw_name == "espprov-fw");
  CHECK(info.fw_version == "1.2.3");
  CHECK(info.chip == "esp32s3");
  CHECK(info.uuid == "04e4822c-719e-45b0-b360-7e2819faca53");
  CHECK(info.credentials);
  CHECK_FALSE(info.cert);
  CHECK(info.wifi_state == "idle");
  auto fields = wifi::info_fields(info);
  CHECK(fields["fw_version"] == "1.2.3");
  CHECK(fields["wifi_saved"] == 0);
}

TEST_CASE("wifi console: a device that never answers gives firmware_timeout, a silent command device_timeout", "[wifi][console]") {
  wifi_test::ScriptedPeer peer;
  peer.run("+READY\r\n", [](const std::string&) { return std::string("just logging\r\n"); });
  auto start = std::chrono::steady_clock::now();
  std::string message;
  CHECK(code_of([&] {
          on_port<int>(peer.path(), [](wifi::Link& link) -> boost::asio::awaitable<int> {
            co_await wifi::wait_ready(link, 2s);  // +READY: ready at once
            co_await wifi::info(link, 500ms);
            co_return 0;
          });
        }, &message) == ErrorCode::device_timeout);
  CHECK(message.find("AT+INFO?") != std::string::npos);
  wifi_test::ScriptedPeer mute;
  mute.run("", [](const std::string&) { return std::string(); });
  CHECK(code_of([&] {
          on_port<int>(mute.path(), [](wifi::Link& link) -> boost::asio::awaitable<int> {
            co_await wifi::wait_ready(link, 1200ms);
            co_return 0;
          });
        }, &message) == ErrorCode::firmware_timeout);
  CHECK(message.find("download mode") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(mute.received().find("AT\r\n") != std::string::npos);
}

TEST_CASE("wifi console: firmware error codes map to error codes naming the field", "[wifi][console]") {
  CHECK(wifi::firmware_error("WIFI_ADD", "list_full").code() == ErrorCode::wifi_list_full);
  CHECK(wifi::firmware_error("WIFI_SSID", "ssid_length").field() == "ssid");
  CHECK(wifi::firmware_error("WIFI_PASSWORD", "password_chars").code() == ErrorCode::bad_input);
  CHECK(wifi::firmware_error("WIFI_PASSWORD", "password_length").field() == "password");
  auto busy = wifi::firmware_error("WIFI_CONNECT", "busy");
  CHECK(busy.code() == ErrorCode::firmware_error);
  CHECK(std::string(busy.what()).find("ERROR:busy") != std::string::npos);
  CHECK(std::string(wifi::firmware_error("X", "\x01\x02").what()).find("\\x01") != std::string::npos);
  CHECK(wifi::connect_failure("n", "wrong_password").code() == ErrorCode::wifi_wrong_password);
  CHECK(wifi::connect_failure("n", "ap_not_found").code() == ErrorCode::wifi_ap_not_found);
  CHECK(wifi::connect_failure("n", "timeout").code() == ErrorCode::wifi_timeout);
  CHECK(wifi::connect_failure("n", "other").code() == ErrorCode::wifi_failed);
}

TEST_CASE("wifi console: a malformed answer is a protocol error, and a restart mid-command is named", "[wifi][console]") {
  wifi_test::ScriptedPeer peer;
  peer.run("+READY\r\n", [](const std::string& line) -> std::string {
    if (line == "AT+WIFI_STATUS?") return "+WIFI_STATUS:connected,\"unterminated\r\nOK\r\n";
    if (line == "AT+POP?") return "+POP:notsixtyfourhex\r\nOK\r\n";
    if (line == "AT+WIFI_LIST?") return "boot log\r\n+READY\r\n";
    return "OK\r\n";
  });
  std::string message;
  CHECK(code_of([&] { on_port<wifi::WifiStatus>(peer.path(), [](wifi::Link& link) { return wifi::status(link); }); }) ==
        ErrorCode::protocol);
  CHECK(code_of([&] { on_port<std::string>(peer.path(), [](wifi::Link& link) { return wifi::read_pop(link); }); },
                &message) == ErrorCode::protocol);
  CHECK(message.find("notsixtyfourhex") == std::string::npos);  // a PoP is never quoted back
  CHECK(code_of([&] { on_port<std::vector<wifi::SavedNetwork>>(peer.path(), [](wifi::Link& link) { return wifi::list(link, 500ms); }); },
                &message) == ErrorCode::firmware_error);
  CHECK(message.find("restarted") != std::string::npos);
}

}  // namespace at_console_peer_test
