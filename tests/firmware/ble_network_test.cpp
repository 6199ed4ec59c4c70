// Seed 000's network management over BLE (PROTOCOL.md §7.5): requests built byte by byte here, responses parsed
// here, through the simulated link; the same saved list as the AT console's.
#include <catch2/catch.hpp>

#include "firmware/ble_link.hpp"
#include "fw/ble_messages.hpp"

namespace ble_network_test {

using fw::GattChar;
using fw::gatt::AttError;
using fwtest::BleDevice;
using fwtest::bytes;
using fwtest::Phone;
using fwtest::tlv;
using Lines = std::vector<std::string>;

namespace {

constexpr int kList = 0x01, kScan = 0x02, kAdd = 0x03, kMove = 0x04, kDelete = 0x05, kSelect = 0x06,
              kStatus = 0x07, kEvent = 0x80;
constexpr int kSsid = 0x01, kPassword = 0x02, kIndex = 0x03, kRssi = 0x04, kAuth = 0x05, kChannel = 0x06,
              kSaved = 0x07, kState = 0x08, kIp = 0x09, kReason = 0x0A, kNetwork = 0x20, kAccessPoint = 0x21;

struct Field {
  int type;
  std::string value;
};

std::vector<Field> parse_fields(const std::string& data) {
  std::vector<Field> fields;
  std::size_t at = 0;
  while (at < data.size()) {
    REQUIRE(at + 2 <= data.size());
    const std::size_t length = static_cast<unsigned char>(data[at + 1]);
    REQUIRE(at + 2 + length <= data.size());
    fields.push_back({static_cast<unsigned char>(data[at]), data.substr(at + 2, length)});
    at += 2 + length;
  }
  return fields;
}

struct Response {
  int op = 0;
  int id = 0;
  int status = -1;
  std::vector<Field> fields;
};

Response parse_response(const std::string& message) {
  REQUIRE(message.size() >= 3);
  return {static_cast<unsigned char>(message[0]), static_cast<unsigned char>(message[1]),
          static_cast<unsigned char>(message[2]), parse_fields(message.substr(3))};
}

std::string request(int op, int id, const std::string& fields = {}) { return bytes({op, id}) + fields; }

// The SSIDs of a LIST response's network entries, checking each entry's index.
Lines listed_ssids(const Response& response) {
  Lines ssids;
  for (const auto& entry : response.fields) {
    REQUIRE(entry.type == kNetwork);
    const auto inner = parse_fields(entry.value);
    REQUIRE(inner.size() == 2);
    CHECK(inner[0].type == kSsid);
    CHECK(inner[1].type == kIndex);
    CHECK(inner[1].value == bytes({static_cast<int>(ssids.size())}));
    ssids.push_back(inner[0].value);
  }
  return ssids;
}

struct Session {
  BleDevice device;
  Phone phone{device};
  Session() {
    device.boot();
    phone.connect();
    phone.pair_and_bond();
    phone.subscribe(GattChar::network_response);
  }
  Response call(const std::string& message) { return parse_response(phone.request(message)); }
};

}  // namespace

TEST_CASE("LIST over BLE shows the networks saved over the console, in priority order, without passwords",
          "[ble][ble_network]") {
  Session s;
  s.device.send("AT+WIFI_ADD=\"HomeNet\",\"correct horse battery\"");
  s.device.send("AT+WIFI_ADD=\"Office\",\"\"");
  const Response r = s.call(request(kList, 7));
  CHECK(r.op == kList);
  CHECK(r.id == 7);
  CHECK(r.status == 0);
  CHECK(listed_ssids(r) == Lines{"HomeNet", "Office"});
  CHECK(s.phone.request(request(kList, 8)).find("correct horse") == std::string::npos);
}

TEST_CASE("ADD over BLE saves at the lowest priority and shows in AT+WIFI_LIST?", "[ble][ble_network]") {
  Session s;
  s.device.send("AT+WIFI_ADD=\"Office\",\"\"");
  CHECK(s.call(request(kAdd, 1, tlv(kSsid, "HomeNet") + tlv(kPassword, "correct horse battery"))).status == 0);
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"Office\"", "+WIFI_LIST:1,\"HomeNet\"", "OK"});
  // An open network: an empty password field.
  CHECK(s.call(request(kAdd, 2, tlv(kSsid, "Cafe") + tlv(kPassword, ""))).status == 0);
  // The device's limits (§5.2) apply with their own status codes.
  CHECK(s.call(request(kAdd, 3, tlv(kSsid, std::string(33, 'x')) + tlv(kPassword, ""))).status == 0x02);
  CHECK(s.call(request(kAdd, 4, tlv(kSsid, "x") + tlv(kPassword, "short"))).status == 0x03);
  CHECK(s.call(request(kAdd, 5, tlv(kSsid, "x") + tlv(kPassword, std::string(20, '\x01')))).status == 0x04);
}

TEST_CASE("the ninth network is refused over BLE with list_full", "[ble][ble_network]") {
  Session s;
  for (int i = 0; i < 8; ++i) {
    REQUIRE(s.call(request(kAdd, i, tlv(kSsid, "net" + std::to_string(i)) + tlv(kPassword, ""))).status == 0);
  }
  const Response r = s.call(request(kAdd, 9, tlv(kSsid, "ninth") + tlv(kPassword, "")));
  CHECK(r.status == 0x06);
  CHECK(r.id == 9);
  CHECK(s.device.send("AT+WIFI_ADD=\"ninth\",\"\"") == Lines{"ERROR:list_full"});
  // Updating one of the eight is still fine.
  CHECK(s.call(request(kAdd, 10, tlv(kSsid, "net3") + tlv(kPassword, "another password"))).status == 0);
}

TEST_CASE("MOVE reorders and DELETE removes, with not_found and bad_argument as on the console",
          "[ble][ble_network]") {
  Session s;
  for (const char* name : {"a", "b", "c"}) s.device.send(std::string("AT+WIFI_ADD=\"") + name + "\",\"\"");
  CHECK(s.call(request(kMove, 1, tlv(kSsid, "c") + tlv(kIndex, bytes({0})))).status == 0);
  CHECK(listed_ssids(s.call(request(kList, 2))) == Lines{"c", "a", "b"});
  CHECK(s.call(request(kMove, 3, tlv(kSsid, "a") + tlv(kIndex, bytes({3})))).status == 0x01);
  CHECK(s.call(request(kMove, 4, tlv(kSsid, "zz") + tlv(kIndex, bytes({0})))).status == 0x07);
  CHECK(s.call(request(kDelete, 5, tlv(kSsid, "a"))).status == 0);
  CHECK(s.call(request(kDelete, 6, tlv(kSsid, "a"))).status == 0x07);
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"c\"", "+WIFI_LIST:1,\"b\"", "OK"});
}

TEST_CASE("SELECT switches to a saved network and the result arrives as a WIFI_EVENT", "[ble][ble_network]") {
  Session s;
  s.device.platform.access_points.push_back({"HomeNet", "correct horse battery", -48});
  s.device.send("AT+WIFI_ADD=\"Office\",\"wrong password!\"");
  s.device.send("AT+WIFI_ADD=\"HomeNet\",\"correct horse battery\"");
  CHECK(s.call(request(kSelect, 1, tlv(kSsid, "HomeNet"))).status == 0);
  CHECK(s.device.platform.pending_ssid() == std::string("HomeNet"));
  s.device.firmware->on_wifi_event(*s.device.platform.resolve_pending());
  const auto event_fragments = s.phone.take_notifications(GattChar::network_response);
  const Response event = parse_response(*Phone::join(event_fragments));
  CHECK(event.op == kEvent);
  REQUIRE(event.fields.size() == 4);
  CHECK(event.fields[0].type == kState);
  CHECK(event.fields[0].value == bytes({2}));  // connected
  CHECK(event.fields[1].value == "HomeNet");
  CHECK(event.fields[2].type == kIp);
  CHECK(event.fields[2].value == bytes({192, 168, 4, 23}));
  CHECK(event.fields[3].type == kRssi);
  CHECK(event.fields[3].value == bytes({-48}));
  // The failure of another switch carries its reason.
  CHECK(s.call(request(kSelect, 2, tlv(kSsid, "Office"))).status == 0);
  s.device.firmware->on_wifi_event(*s.device.platform.resolve_pending());
  const Response failed = parse_response(*Phone::join(s.phone.take_notifications(GattChar::network_response)));
  CHECK(failed.fields.at(0).value == bytes({3}));  // failed
  CHECK(failed.fields.back().type == kReason);
  CHECK(failed.fields.back().value == bytes({1}));  // ap_not_found: Office is not on the air
  CHECK(s.call(request(kSelect, 3, tlv(kSsid, "Elsewhere"))).status == 0x07);
}

TEST_CASE("WIFI_STATUS reports the state, SSID, IP and RSSI", "[ble][ble_network]") {
  Session s;
  const Response r = s.call(request(kStatus, 4));
  CHECK(r.status == 0);
  REQUIRE(r.fields.size() == 4);
  CHECK(r.fields[0].value == bytes({0}));
  CHECK(r.fields[2].value == bytes({0, 0, 0, 0}));
}

TEST_CASE("SCAN lists access points strongest first and marks the saved ones", "[ble][ble_network]") {
  Session s;
  s.device.platform.access_points.push_back({"Weak", "", -80, fw::WifiAuth::open, 1});
  s.device.platform.access_points.push_back({"HomeNet", "x", -40, fw::WifiAuth::wpa2_wpa3, 11});
  s.device.send("AT+WIFI_ADD=\"HomeNet\",\"correct horse battery\"");
  const Response r = s.call(request(kScan, 5));
  REQUIRE(r.fields.size() == 2);
  const auto first = parse_fields(r.fields[0].value);
  CHECK(r.fields[0].type == kAccessPoint);
  REQUIRE(first.size() == 5);
  CHECK(first[0].value == "HomeNet");
  CHECK(first[1].type == kRssi);
  CHECK(first[1].value == bytes({-40}));
  CHECK(first[2].type == kAuth);
  CHECK(first[2].value == bytes({5}));
  CHECK(first[3].type == kChannel);
  CHECK(first[3].value == bytes({11}));
  CHECK(first[4].type == kSaved);
  CHECK(first[4].value == bytes({1}));
  const auto second = parse_fields(r.fields[1].value);
  CHECK(second[0].value == "Weak");
  CHECK(second[2].value == bytes({0}));
  CHECK(second[4].value == bytes({0}));
}

TEST_CASE("a long list is fragmented to the ATT MTU and joins back whole", "[ble][ble_network]") {
  Session s;
  Lines names;
  for (int i = 0; i < 8; ++i) {
    names.push_back(std::string(31, static_cast<char>('a' + i)) + std::to_string(i));
    s.device.send("AT+WIFI_ADD=\"" + names.back() + "\",\"\"");
  }
  const std::string message = s.phone.request(request(kList, 1));
  // 3 header bytes + 8 entries of 2 + (2 + 32) + 3 bytes: 315 bytes, 19 per fragment at the default MTU of 23.
  CHECK(message.size() == 315);
  CHECK(s.phone.last_response_fragments == 17);
  CHECK(listed_ssids(parse_response(message)) == names);
  s.phone.exchange_mtu(247);
  const std::string again = s.phone.request(request(kList, 2));
  CHECK(s.phone.last_response_fragments == 2);
  CHECK(again.substr(2) == message.substr(2));
}

TEST_CASE("a request split into fragments is joined before it runs", "[ble][ble_network]") {
  Session s;
  const std::string add = request(kAdd, 1, tlv(kSsid, std::string(32, 'S')) + tlv(kPassword, std::string(64, 'a')));
  const auto fragments = s.phone.fragment(add);
  CHECK(fragments.size() == 6);  // 102 bytes, 19 per fragment
  for (std::size_t i = 0; i + 1 < fragments.size(); ++i) {
    REQUIRE(s.phone.write(GattChar::network_request, fragments[i]) == AttError::ok);
    CHECK(s.phone.take_notifications(GattChar::network_response).empty());  // nothing runs on a partial request
  }
  REQUIRE(s.phone.write(GattChar::network_request, fragments.back()) == AttError::ok);
  CHECK(parse_response(*Phone::join(s.phone.take_notifications(GattChar::network_response))).status == 0);
  CHECK(s.device.send("AT+WIFI_LIST?").at(0) == "+WIFI_LIST:0,\"" + std::string(32, 'S') + "\"");
}

TEST_CASE("a disconnect mid-request drops it, the next link starts clean", "[ble][ble_network]") {
  Session s;
  const std::string add = request(kAdd, 1, tlv(kSsid, "HomeNet") + tlv(kPassword, "correct horse battery"));
  const auto fragments = s.phone.fragment(add);
  REQUIRE(fragments.size() >= 2);
  REQUIRE(s.phone.write(GattChar::network_request, fragments[0]) == AttError::ok);
  s.phone.disconnect();
  s.phone.connect();
  REQUIRE(s.phone.encrypt_with_stored_keys());
  s.phone.subscribe(GattChar::network_response);
  // The rest of the old request is out of sequence on the new link.
  REQUIRE(s.phone.write(GattChar::network_request, fragments[1]) == AttError::ok);
  const Response stray = parse_response(*Phone::join(s.phone.take_notifications(GattChar::network_response)));
  CHECK(stray.status == 0x13);
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"OK"});
  CHECK(s.call(add).status == 0);
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"HomeNet\"", "OK"});
}

TEST_CASE("malformed, unknown and too long requests get an error response", "[ble][ble_network]") {
  Session s;
  CHECK(s.call(request(kDelete, 1)).status == 0x11);                                    // no SSID
  CHECK(s.call(request(kDelete, 2, bytes({kSsid, 10, 'a'}))).status == 0x11);          // runs past the end
  CHECK(s.call(request(kDelete, 3, tlv(kSsid, "a") + tlv(kSsid, "b"))).status == 0x11);  // given twice
  CHECK(s.call(request(kMove, 4, tlv(kSsid, "a") + tlv(kIndex, bytes({0, 0})))).status == 0x11);
  CHECK(s.call(request(kAdd, 5, tlv(kSsid, "a"))).status == 0x11);  // no password field
  const Response unknown = s.call(request(0x42, 6));
  CHECK(unknown.status == 0x10);
  CHECK(unknown.op == 0x42);
  CHECK(s.call(request(kEvent, 7)).status == 0x10);  // device to client only
  CHECK(s.call(bytes({kList})).status == 0x11);
  const Response huge = s.call(request(kDelete, 8, std::string(600, 'x')));
  CHECK(huge.status == 0x12);
  CHECK(s.call(request(kList, 9)).status == 0);  // and the channel still works
}

TEST_CASE("a phone that does not subscribe pulls the response by reading, one fragment per read",
          "[ble][ble_network]") {
  BleDevice device;
  device.boot();
  Phone phone(device);
  phone.connect();
  phone.pair_and_bond();
  for (int i = 0; i < 4; ++i) device.send("AT+WIFI_ADD=\"network-" + std::to_string(i) + "\",\"\"");
  for (const auto& piece : phone.fragment(request(kList, 1))) {
    REQUIRE(phone.write(GattChar::network_request, piece) == AttError::ok);
  }
  std::vector<std::string> pulled;
  while (true) {
    const auto read = phone.read(GattChar::network_response);
    REQUIRE(read.error == AttError::ok);
    if (read.value.empty()) break;
    CHECK(read.att_requests == 1);  // a fragment always fits one read response
    pulled.push_back(read.value);
  }
  CHECK(pulled.size() > 1);
  CHECK(listed_ssids(parse_response(*Phone::join(pulled))).size() == 4);
}

TEST_CASE("fragments the stack cannot take yet are sent on a later poll, in order", "[ble][ble_network]") {
  Session s;
  for (int i = 0; i < 4; ++i) s.device.send("AT+WIFI_ADD=\"network-" + std::to_string(i) + "\",\"\"");
  s.device.radio.refuse_notifications = true;
  for (const auto& piece : s.phone.fragment(request(kList, 1))) {
    REQUIRE(s.phone.write(GattChar::network_request, piece) == AttError::ok);
  }
  CHECK(s.phone.take_notifications(GattChar::network_response).empty());
  s.device.radio.refuse_notifications = false;
  s.device.poll();
  const auto joined = Phone::join(s.phone.take_notifications(GattChar::network_response));
  REQUIRE(joined);
  CHECK(listed_ssids(parse_response(*joined)).size() == 4);
}

TEST_CASE("fragment numbers run modulo 128 and a gap drops the message", "[ble][ble_network]") {
  const std::string message(300 * 4, 'm');
  const auto fragments = fw::blemsg::fragment(message, 5);  // 4 message bytes each: 300 fragments
  REQUIRE(fragments.size() == 300);
  CHECK(static_cast<unsigned char>(fragments[127][0]) == (0x80 | 127));
  CHECK(static_cast<unsigned char>(fragments[128][0]) == 0x80);
  CHECK(static_cast<unsigned char>(fragments[299][0]) == (299 % 128));
  CHECK(Phone::join(fragments) == message);
  fw::blemsg::Reassembler joiner(2000);
  for (std::size_t i = 0; i + 1 < fragments.size(); ++i) {
    REQUIRE(joiner.feed(fragments[i]) == fw::blemsg::Reassembler::Result::incomplete);
  }
  REQUIRE(joiner.feed(fragments.back()) == fw::blemsg::Reassembler::Result::complete);
  CHECK(joiner.take_message() == message);
  REQUIRE(joiner.feed(fragments[0]) == fw::blemsg::Reassembler::Result::incomplete);
  CHECK(joiner.feed(fragments[2]) == fw::blemsg::Reassembler::Result::out_of_sequence);
  CHECK_FALSE(joiner.in_message());
  CHECK(fw::blemsg::fragment("", 20) == std::vector<std::string>{std::string(1, '\0')});
}

TEST_CASE("the example of PROTOCOL.md 7.5 goes over the air byte for byte as documented", "[ble][ble_network]") {
  Session s;
  const std::string message =
      bytes({0x03, 0x01, 0x01, 0x07}) + "HomeNet" + bytes({0x02, 0x15}) + "correct horse battery";
  REQUIRE(message.size() == 34);
  REQUIRE(s.phone.write(GattChar::network_request, bytes({0x80}) + message.substr(0, 19)) == AttError::ok);
  CHECK(s.phone.take_notifications(GattChar::network_response).empty());
  REQUIRE(s.phone.write(GattChar::network_request, bytes({0x01}) + message.substr(19)) == AttError::ok);
  CHECK(s.phone.take_notifications(GattChar::network_response) == Lines{bytes({0x00, 0x03, 0x01, 0x00})});
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"+WIFI_LIST:0,\"HomeNet\"", "OK"});
}

TEST_CASE("a fragment numbered 0 abandons an unfinished request and starts the next", "[ble][ble_network]") {
  Session s;
  const auto first = s.phone.fragment(request(kAdd, 1, tlv(kSsid, "Abandoned") + tlv(kPassword, std::string(30, 'p'))));
  REQUIRE(first.size() >= 2);
  REQUIRE(s.phone.write(GattChar::network_request, first[0]) == AttError::ok);
  CHECK(listed_ssids(s.call(request(kList, 2))).empty());
  CHECK(s.device.send("AT+WIFI_LIST?") == Lines{"OK"});
}

TEST_CASE("a phone that subscribed without pairing gets no WiFi events", "[ble][ble_network]") {
  BleDevice device;
  device.boot();
  device.platform.access_points.push_back({"HomeNet", "correct horse battery"});
  device.send("AT+WIFI_ADD=\"HomeNet\",\"correct horse battery\"");
  Phone stranger(device);
  stranger.connect();
  stranger.subscribe(GattChar::network_response);  // CCCD writes need no pairing
  device.send("AT+WIFI_SELECT=\"HomeNet\"");
  device.firmware->on_wifi_event(*device.platform.resolve_pending());
  CHECK(stranger.take_notifications(GattChar::network_response).empty());
  // The same phone after pairing and one request does get them.
  stranger.pair_and_bond();
  CHECK(parse_response(stranger.request(request(kStatus, 1))).status == 0);
  device.firmware->on_wifi_event(fw::WifiEvent{fw::WifiEvent::Kind::disconnected, {}, 0, fw::WifiFailure::other});
  const auto event = Phone::join(stranger.take_notifications(GattChar::network_response));
  REQUIRE(event);
  CHECK(parse_response(*event).op == kEvent);
}

}  // namespace ble_network_test
