#include <catch2/catch.hpp>

#include "provision/serial.hpp"
#include "serial/telnet.hpp"

namespace port_url_test {

using provision::serial::parse_port_url;
using provision::serial::PortUrl;
namespace telnet = provision::serial::telnet;

TEST_CASE("port url: a path is a local device", "[serial]") {
  auto url = parse_port_url("/dev/ttyUSB0");
  CHECK(url.kind == PortUrl::Kind::device);
  CHECK(url.path == "/dev/ttyUSB0");
}

TEST_CASE("port url: socket:// and rfc2217:// take host and port, IPv6 in brackets", "[serial]") {
  auto raw = parse_port_url("socket://rig-7.local:4000");
  CHECK(raw.kind == PortUrl::Kind::socket);
  CHECK(raw.host == "rig-7.local");
  CHECK(raw.port == "4000");
  auto v6 = parse_port_url("rfc2217://[::1]:2217");
  CHECK(v6.kind == PortUrl::Kind::rfc2217);
  CHECK(v6.host == "::1");
  CHECK(v6.port == "2217");
  auto options = parse_port_url("rfc2217://10.0.0.5:2217?ign_set_control");
  CHECK(options.port == "2217");
}

TEST_CASE("port url: malformed URLs name the value and the accepted forms", "[serial]") {
  for (const char* bad : {"", "socket://host", "socket://:4000", "socket://host:0", "socket://host:65536",
                          "socket://host:port", "rfc2217://::1:2217", "rfc2217://[::1]", "serial://x:1"}) {
    INFO(bad);
    try {
      parse_port_url(bad);
      FAIL("accepted");
    } catch (const provision::Error& e) {
      CHECK(e.code() == provision::ErrorCode::bad_input);
      CHECK(e.field() == "port");
      CHECK_THAT(e.what(), Catch::Contains("socket://HOST:PORT"));
    }
  }
}

TEST_CASE("telnet: data bytes 0xFF are doubled and undoubled", "[serial]") {
  const std::uint8_t data[] = {0x01, 0xFF, 0x02};
  auto escaped = telnet::escape(data);
  CHECK(escaped == telnet::Bytes{0x01, 0xFF, 0xFF, 0x02});
  telnet::Decoder decoder;
  telnet::Bytes out;
  std::vector<telnet::Negotiation> negotiations;
  decoder.feed(escaped, out, negotiations);
  CHECK(out == telnet::Bytes{0x01, 0xFF, 0x02});
  CHECK(negotiations.empty());
}

TEST_CASE("telnet: negotiations and subnegotiations are taken out of the data, even split across reads", "[serial]") {
  // "A", IAC DO COM-PORT, IAC SB 44 101 <baud with an escaped 0xFF> IAC SE, "B"
  telnet::Bytes stream{'A', 255, 253, 44, 255, 250, 44, 101, 0, 0, 255, 255, 0, 255, 240, 'B'};
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    telnet::Decoder decoder;
    telnet::Bytes out;
    std::vector<telnet::Negotiation> negotiations;
    decoder.feed(std::span(stream).first(split), out, negotiations);
    decoder.feed(std::span(stream).subspan(split), out, negotiations);
    INFO("split at " << split);
    CHECK(out == telnet::Bytes{'A', 'B'});
    REQUIRE(negotiations.size() == 1);
    CHECK(negotiations[0].verb == telnet::DO);
    CHECK(negotiations[0].option == telnet::COM_PORT);
  }
}

TEST_CASE("telnet: SET-BAUDRATE carries the rate in network order", "[serial]") {
  CHECK(telnet::set_baud_command(921600) == telnet::Bytes{255, 250, 44, 1, 0x00, 0x0E, 0x10, 0x00, 255, 240});
}

}  // namespace port_url_test
