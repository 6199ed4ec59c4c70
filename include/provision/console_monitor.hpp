// What `espprov monitor` shows of a running firmware's console: its lines as they come, with the secrets the
// firmware may print masked as the byte trace masks them (the `+POP:` reply), and bytes that are not UTF-8 written
// as \xHH so every line can go into JSON. Pure: bytes in, lines out; no port, no clock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace provision::wifi {

class ConsoleLines;

class MonitorLines {
 public:
  MonitorLines();
  ~MonitorLines();
  MonitorLines(const MonitorLines&) = delete;
  MonitorLines& operator=(const MonitorLines&) = delete;

  void feed(std::span<const std::uint8_t> bytes);
  // The next complete line as shown (no line end, secrets masked), or nullopt when more bytes are needed.
  // `input_idle`: the device went quiet (an Improv frame cut short is then dropped, see ConsoleLines).
  std::optional<std::string> next(bool input_idle = false);

 private:
  std::unique_ptr<ConsoleLines> lines_;
};

// One console line as shown: a reply that carries a secret keeps its name and loses its value ("+POP:***").
std::string shown_console_line(const std::string& line);

}  // namespace provision::wifi
