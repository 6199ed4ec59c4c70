// Keys reach `espprov monitor` one by one (Ctrl-] among them) while stdin is a terminal: no line editing, no
// echo. Ctrl-C still raises SIGINT, which the monitor handles; output processing is kept, so "\n" still starts a
// new line. The terminal's settings come back when this object goes, whatever ended the monitor.
#pragma once

#include <termios.h>

namespace espprov {

class RawTerminal {
 public:
  RawTerminal();  // does nothing when stdin is not a terminal
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  bool active() const { return active_; }

 private:
  termios saved_{};
  bool active_ = false;
};

}  // namespace espprov
