// The console line codec (PROTOCOL.md 5.1, 5.4) with hostile bytes: no I/O.
#include <catch2/catch.hpp>
#include <string>

#include "provision/error.hpp"
#include "provision/wifi_at.hpp"

namespace wifi_at_codec_test {

namespace at = provision::wifi::at;
using provision::ErrorCode;

namespace {

std::string all_bytes() {
  std::string bytes;
  for (int c = 0; c < 256; ++c) bytes += static_cast<char>(c);
  return bytes;
}

ErrorCode parse_error_code(std::string_view text) {
  try {
    at::parse_arguments(text);
  } catch (const provision::Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

}  // namespace

TEST_CASE("quote escapes backslash, quote, control bytes and DEL, and keeps the rest literal", "[wifi][at]") {
  CHECK(at::quote("") == "\"\"");
  CHECK(at::quote("My Network") == "\"My Network\"");
  CHECK(at::quote("a,b=c") == "\"a,b=c\"");
  CHECK(at::quote("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(at::quote("back\\slash") == "\"back\\\\slash\"");
  CHECK(at::quote(std::string("\r\n\t\x00\x1f\x7f", 6)) == "\"\\x0D\\x0A\\x09\\x00\\x1F\\x7F\"");
  CHECK(at::quote("caf\xc3\xa9 \xf0\x9f\x93\xb6") == "\"caf\xc3\xa9 \xf0\x9f\x93\xb6\"");
}

TEST_CASE("a quoted value never contains a line break or a bare control byte", "[wifi][at]") {
  auto quoted = at::quote(all_bytes());
  for (unsigned char c : quoted) {
    CHECK((c >= 0x20 && c != 0x7F));
  }
}

TEST_CASE("every byte value round-trips through quote and parse_arguments", "[wifi][at]") {
  auto bytes = all_bytes();
  auto values = at::parse_arguments(at::quote(bytes) + "," + at::quote("") + ",-42");
  REQUIRE(values.size() == 3);
  CHECK(values[0] == bytes);
  CHECK(values[1].empty());
  CHECK(values[2] == "-42");
}

TEST_CASE("command builds AT+NAME with quoted and bare arguments", "[wifi][at]") {
  CHECK(at::command("INFO?") == "AT+INFO?");
  CHECK(at::command("WIFI_SSID", {std::string("a\"b,c")}) == "AT+WIFI_SSID=\"a\\\"b,c\"");
  CHECK(at::command("WIFI_PRIO", {std::string("net"), at::Bare{"3"}}) == "AT+WIFI_PRIO=\"net\",3");
}

TEST_CASE("command refuses a bare token with characters outside the token set", "[wifi][at]") {
  CHECK_THROWS_AS(at::command("WIFI_PRIO", {std::string("net"), at::Bare{"3,4"}}), provision::Error);
  CHECK_THROWS_AS(at::command("WIFI_PRIO", {at::Bare{""}}), provision::Error);
}

TEST_CASE("classify tells final lines, data lines and logs apart", "[wifi][at]") {
  CHECK(at::classify("OK").kind == at::LineKind::ok);
  CHECK(at::classify("OK\r").kind == at::LineKind::ok);
  auto error = at::classify("ERROR:list_full");
  CHECK(error.kind == at::LineKind::error);
  CHECK(error.name == "list_full");
  auto data = at::classify("+WIFI_STATUS:connected,\"net\",10.0.0.2,-40");
  CHECK(data.kind == at::LineKind::data);
  CHECK(data.name == "WIFI_STATUS");
  CHECK(data.arguments == "connected,\"net\",10.0.0.2,-40");
  auto ready = at::classify("+READY");
  CHECK(ready.kind == at::LineKind::data);
  CHECK(ready.name == "READY");
  CHECK(ready.arguments.empty());
  CHECK(at::is_unsolicited(ready));
  CHECK(at::is_unsolicited(at::classify("+WIFI:FAILED,timeout")));
  CHECK_FALSE(at::is_unsolicited(data));
}

TEST_CASE("lines that only resemble final lines are logs", "[wifi][at]") {
  for (const char* line : {"OKAY", "ok", " OK", "OK then", "ERROR", "ERROR ", "I (312) wifi: ERROR:x", "+", "",
                           "\xff\xfe garbage", "rst:0x1 (POWERON_RESET),boot:0x13"}) {
    INFO(line);
    CHECK(at::classify(line).kind == at::LineKind::log);
  }
}

TEST_CASE("parse_arguments unescapes \\xHH in either case and literal commas inside quotes", "[wifi][at]") {
  auto values = at::parse_arguments(R"("a\x2cb\x2C\x0a","x,y",ok,5)");
  REQUIRE(values.size() == 4);
  CHECK(values[0] == "a,b,\n");
  CHECK(values[1] == "x,y");
  CHECK(values[2] == "ok");
  CHECK(values[3] == "5");
}

TEST_CASE("parse_arguments reports malformed device text as a protocol error", "[wifi][at]") {
  for (const char* text : {"\"unterminated", "\"bad\\q\"", "\"short\\x4\"", "\"nothex\\xZZ\"", "\"trail\\", "\"a\"b",
                           "bare space", "bare\"quote", "\"x\",\"y"}) {
    INFO(text);
    CHECK(parse_error_code(text) == ErrorCode::protocol);
  }
}

TEST_CASE("a protocol error message shows hostile bytes escaped", "[wifi][at]") {
  try {
    at::parse_arguments(std::string("\"\x1b[2J\x00", 6));
    FAIL("no error");
  } catch (const provision::Error& e) {
    std::string message = e.what();
    CHECK(message.find('\x1b') == std::string::npos);
    CHECK(message.find("\\x1b") != std::string::npos);
  }
}

}  // namespace wifi_at_codec_test
