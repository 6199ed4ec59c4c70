// Splits console input into AT lines and Improv serial frames (PROTOCOL.md §5 and §6). A line ends with "\n"
// (a "\r" before it is dropped) and may hold at most 512 bytes; longer lines are discarded as a whole and reported
// once. Input that starts a line with "IMPROV" is an Improv frame, taken by its length field rather than by line
// endings, since its payload and checksum may hold any byte. Pure: bytes in, events out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fw {

struct ConsoleEvent {
  enum class Kind { line, line_too_long, improv_frame } kind = Kind::line;
  std::string bytes;  // the line without its ending, or the whole frame from "IMPROV" to the checksum
};

class ConsoleInput {
 public:
  static constexpr std::size_t kMaxLineBytes = 512;

  std::vector<ConsoleEvent> feed(std::string_view bytes);
  // A frame cut off by its sender would otherwise swallow every later line: the caller drops it after a pause.
  bool in_frame() const { return in_frame_; }
  void abandon_frame();

 private:
  void feed_line_byte(char c, std::vector<ConsoleEvent>& events);
  void feed_frame_byte(char c, std::vector<ConsoleEvent>& events);

  std::string buffer_;
  bool overflowed_ = false;  // the current line passed the limit; skip to its end
  bool in_frame_ = false;
};

}  // namespace fw
