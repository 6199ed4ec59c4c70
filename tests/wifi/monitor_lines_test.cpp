// What espprov monitor shows of a console: lines as they are, secrets masked, every line valid UTF-8. No I/O.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "provision/console_monitor.hpp"
#include "provision/improv.hpp"
#include "provision/text.hpp"

namespace monitor_lines_test {

using provision::wifi::MonitorLines;
using provision::wifi::shown_console_line;

namespace {

std::vector<std::string> shown(const std::string& bytes) {
  MonitorLines lines;
  lines.feed(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  std::vector<std::string> out;
  while (auto line = lines.next(true)) out.push_back(*line);
  return out;
}

}  // namespace

TEST_CASE("monitor lines are the console's lines without their line ends, in order", "[wifi][monitor]") {
  CHECK(shown("I (312) boot: ready\r\n+READY\r\nOK\npartial") ==
        std::vector<std::string>{"I (312) boot: ready", "+READY", "OK"});
}

TEST_CASE("a +POP: reply is masked in monitor lines, its name kept", "[wifi][monitor]") {
  const std::string pop = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  auto lines = shown("+POP:" + pop + "\r\nOK\r\n");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "+POP:***");
  CHECK(lines[0].find(pop) == std::string::npos);
  CHECK(shown_console_line("+INFO:\"fw\",\"1.0\"") == "+INFO:\"fw\",\"1.0\"");
  CHECK(shown_console_line("+POPCORN:1") == "+POPCORN:1");  // another reply that merely starts alike
}

TEST_CASE("monitor lines escape bytes that are not UTF-8, so each fits a JSON string", "[wifi][monitor]") {
  auto lines = shown(std::string("temp \xff\xfe ok \xc3\xa9\r\n"));
  REQUIRE(lines.size() == 1);
  CHECK(provision::is_valid_utf8(lines[0]));
  CHECK(lines[0] == "temp \\xFF\\xFE ok \xc3\xa9");
}

TEST_CASE("an Improv frame on the console is not shown as a line", "[wifi][monitor]") {
  const std::vector<std::uint8_t> state{0x02};
  auto frame = provision::improv::encode_frame(provision::improv::PacketType::current_state, state);
  auto lines = shown(std::string(frame.begin(), frame.end()) + "after\r\n");
  CHECK(lines == std::vector<std::string>{"after"});
}

}  // namespace monitor_lines_test
