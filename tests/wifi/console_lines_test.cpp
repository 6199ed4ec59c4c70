// The console line splitter: lines, Improv frames skipped whole, cut-off frames dropped, overlong runs. No I/O.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "provision/improv.hpp"
#include "wifi/console_lines.hpp"

namespace console_lines_test {

using provision::wifi::ConsoleLines;

namespace {

void feed(ConsoleLines& lines, const std::string& text) {
  lines.feed(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::vector<std::string> all(ConsoleLines& lines, bool idle = false) {
  std::vector<std::string> out;
  while (auto line = lines.next(idle)) out.push_back(*line);
  return out;
}

std::string frame_with_newlines() {
  // A state frame and an RPC result whose data holds "\nOK\r\n": it must not read as a final line.
  std::string text = "\nOK\r\n";
  std::vector<std::uint8_t> data{0x04, static_cast<std::uint8_t>(text.size() + 1),
                                 static_cast<std::uint8_t>(text.size())};
  data.insert(data.end(), text.begin(), text.end());
  auto frame = provision::improv::encode_frame(provision::improv::PacketType::rpc_result, data);
  return std::string(frame.begin(), frame.end()) + "\n";
}

}  // namespace

TEST_CASE("console lines: CRLF and bare LF end lines, split reads join, the last partial line waits", "[wifi][console]") {
  ConsoleLines lines;
  feed(lines, "boot log\r\n+REA");
  CHECK(all(lines) == std::vector<std::string>{"boot log"});
  feed(lines, "DY\nOK\r\npart");
  CHECK(all(lines) == std::vector<std::string>{"+READY", "OK"});
  feed(lines, "ial\r\n");
  CHECK(all(lines) == std::vector<std::string>{"partial"});
}

TEST_CASE("console lines: an Improv frame between lines is skipped whole, even with line feeds inside", "[wifi][console]") {
  ConsoleLines lines;
  feed(lines, "+WIFI_LIST:0,\"a\"\r\n" + frame_with_newlines() + "OK\r\n");
  CHECK(all(lines) == std::vector<std::string>{"+WIFI_LIST:0,\"a\"", "", "OK"});
  CHECK(lines.frames_skipped() == 1);
}

TEST_CASE("console lines: a frame arriving in pieces is held until complete", "[wifi][console]") {
  ConsoleLines lines;
  auto frame = frame_with_newlines();
  feed(lines, frame.substr(0, 12));
  CHECK(all(lines).empty());
  CHECK(lines.holds_partial_frame());
  feed(lines, frame.substr(12) + "OK\r\n");
  CHECK(all(lines) == std::vector<std::string>{"", "OK"});
}

TEST_CASE("console lines: a cut-off frame is dropped once the device is idle, and the next lines read", "[wifi][console]") {
  ConsoleLines lines;
  feed(lines, frame_with_newlines().substr(0, 11));
  CHECK(all(lines).empty());
  CHECK(all(lines, true).empty());
  CHECK(lines.frames_dropped() == 1);
  feed(lines, "OK\r\n");
  CHECK(all(lines) == std::vector<std::string>{"OK"});
}

TEST_CASE("console lines: IMPROV text that is no valid frame is a log line", "[wifi][console]") {
  ConsoleLines lines;
  feed(lines, "IMPROVED boot\r\nOK\r\n");
  CHECK(all(lines) == std::vector<std::string>{"IMPROVED boot", "OK"});
  std::string bad = frame_with_newlines();
  bad[bad.size() - 2] ^= 0x55;  // wrong checksum: read as text, split at its line feeds
  ConsoleLines again;
  feed(again, bad + "ERROR:busy\r\n");
  auto got = all(again);
  REQUIRE_FALSE(got.empty());
  CHECK(got.back() == "ERROR:busy");
}

TEST_CASE("console lines: a run without line end beyond the limit is dropped up to its end", "[wifi][console]") {
  ConsoleLines lines;
  feed(lines, std::string(ConsoleLines::kMaxLineBytes + 10, 'x'));
  CHECK(all(lines).empty());
  feed(lines, "yyy\r\nOK\r\n");
  CHECK(all(lines) == std::vector<std::string>{"OK"});
}

}  // namespace console_lines_test
