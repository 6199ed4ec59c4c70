// The AT argument codec and the console line splitter: pure functions, no device.
#include <catch2/catch.hpp>

#include "fw/at_codec.hpp"
#include "fw/console_input.hpp"

namespace firmware_at_codec_test {

using fw::parse_at_arguments;
using fw::parse_at_line;
using fw::quote_at_string;
using Args = std::vector<std::string>;

TEST_CASE("quoted strings decode backslash, quote and hex escapes in either case", "[firmware][codec]") {
  CHECK(parse_at_arguments(R"("a\\b","\"q\"","\x41\x6a\x6A")") == Args{"a\\b", "\"q\"", "Ajj"});
  CHECK(parse_at_arguments(R"("")") == Args{""});
  CHECK(parse_at_arguments(R"("with, comma = and space")") == Args{"with, comma = and space"});
  CHECK(parse_at_arguments("\"caf\xc3\xa9\"") == Args{"caf\xc3\xa9"});
}

TEST_CASE("bare tokens are numbers or words of the allowed characters", "[firmware][codec]") {
  CHECK(parse_at_arguments("12,word_1.2:3-x") == Args{"12", "word_1.2:3-x"});
  CHECK_FALSE(parse_at_arguments("a b"));
  CHECK_FALSE(parse_at_arguments("a,,b"));
  CHECK_FALSE(parse_at_arguments(""));
  CHECK_FALSE(parse_at_arguments("a,"));
  CHECK_FALSE(parse_at_arguments("x=y"));
}

TEST_CASE("malformed quoting is refused", "[firmware][codec]") {
  CHECK_FALSE(parse_at_arguments("\"unterminated"));
  CHECK_FALSE(parse_at_arguments(R"("bad \q escape")"));
  CHECK_FALSE(parse_at_arguments(R"("\x4")"));
  CHECK_FALSE(parse_at_arguments(R"("\xZZ")"));
  CHECK_FALSE(parse_at_arguments(R"("trailing\")"));
  CHECK_FALSE(parse_at_arguments(R"("a"b)"));
  CHECK_FALSE(parse_at_arguments("\"raw\ttab\""));
  CHECK_FALSE(parse_at_arguments("\"raw\x7f" "del\""));
}

TEST_CASE("quoting then parsing gives back every byte value", "[firmware][codec]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::vector<std::string> hostile = {all, "", ",", "\"", "\\", "\\\"", "=", " ", "\r\n", std::string(1, '\0'),
                                            "\x7f", "\xff\xfe", "\xe2\x82\xac", "\\x41", "a,\"b\",c"};
  for (const auto& value : hostile) {
    const std::string quoted = quote_at_string(value);
    INFO(quoted);
    for (char c : quoted) {
      CHECK(static_cast<unsigned char>(c) >= 0x20);
      CHECK(static_cast<unsigned char>(c) != 0x7F);
    }
    CHECK(parse_at_arguments(quoted) == Args{value});
    CHECK(parse_at_arguments(quoted + "," + quoted) == Args{value, value});
  }
}

TEST_CASE("a command line splits into name and arguments", "[firmware][codec]") {
  const std::vector<std::string_view> raw = {"WIFI_SSID"};
  auto result = parse_at_line("AT+WIFI_ADD=\"a=b\",\"p\"", raw);
  REQUIRE(result.command);
  CHECK(result.command->name == "WIFI_ADD");
  CHECK(result.command->args == Args{"a=b", "p"});
  result = parse_at_line("AT+INFO?", raw);
  REQUIRE(result.command);
  CHECK(result.command->name == "INFO?");
  CHECK(result.command->args.empty());
  CHECK(parse_at_line("ATI", raw).error == fw::AtParseError::not_a_command);
  CHECK(parse_at_line("at+info?", raw).error == fw::AtParseError::not_a_command);
}

TEST_CASE("the legacy unquoted value is the rest of the line, quotes and commas included", "[firmware][codec]") {
  const std::vector<std::string_view> raw = {"WIFI_SSID", "WIFI_PASSWORD"};
  CHECK(parse_at_line("AT+WIFI_SSID=My Network", raw).command->args == Args{"My Network"});
  CHECK(parse_at_line("AT+WIFI_PASSWORD=p,a\"ss=", raw).command->args == Args{"p,a\"ss="});
  CHECK(parse_at_line("AT+WIFI_SSID=", raw).command->args == Args{""});
  CHECK(parse_at_line("AT+WIFI_SSID=\"quoted\"", raw).command->args == Args{"quoted"});
  CHECK_FALSE(parse_at_line("AT+WIFI_SSID=\"quoted\" tail", raw).command);
  CHECK_FALSE(parse_at_line("AT+WIFI_DEL=My Network", raw).command);
}

TEST_CASE("console input splits CRLF and LF lines and keeps partial lines across calls", "[firmware][codec]") {
  fw::ConsoleInput console;
  auto events = console.feed("AT\r\nAT+IN");
  REQUIRE(events.size() == 1);
  CHECK(events[0].bytes == "AT");
  events = console.feed("FO?\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].bytes == "AT+INFO?");
}

TEST_CASE("console input reports an over-long line once, at its end", "[firmware][codec]") {
  fw::ConsoleInput console;
  auto events = console.feed(std::string(2000, 'x'));
  CHECK(events.empty());
  events = console.feed("\r\nAT\r\n");
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == fw::ConsoleEvent::Kind::line_too_long);
  CHECK(events[1].bytes == "AT");
  events = console.feed(std::string(512, 'y') + "\r\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == fw::ConsoleEvent::Kind::line);
}

TEST_CASE("console input takes an Improv frame by its length, whatever bytes it holds", "[firmware][codec]") {
  fw::ConsoleInput console;
  const std::string frame = std::string("IMPROV\x01\x03\x03", 9) + std::string("\n\r\n", 3) + "\x42";
  auto events = console.feed("AT\r\n" + frame + "\nAT\n");
  REQUIRE(events.size() == 4);
  CHECK(events[0].bytes == "AT");
  CHECK(events[1].kind == fw::ConsoleEvent::Kind::improv_frame);
  CHECK(events[1].bytes == frame);
  CHECK(events[2].bytes.empty());
  CHECK(events[3].bytes == "AT");
}

}  // namespace firmware_at_codec_test
