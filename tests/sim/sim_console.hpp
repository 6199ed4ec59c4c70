// Console lines from a simulated board over its pty, for the simulator's own tests (app mode, power cuts).
#pragma once

#include <chrono>
#include <string>

#include "sim/rom_client.hpp"
#include "sim/sim_run.hpp"

namespace sim_test {

class SimConsole {
 public:
  explicit SimConsole(const std::string& port) : port_(port) {}
  void send(const std::string& line);
  // Everything up to (and including) the first line that starts with `prefix`, or all text on timeout.
  std::string until(const std::string& prefix, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Resets board `index` through the control socket and requires the firmware's +READY and an answer to AT.
  // A board boots as soon as the simulator starts, so its first +READY may come before this port was opened
  // (and opening flushes the input): a test that must see a boot resets the board after opening its port.
  void require_boot_after_reset(const SimRun& sim, int index = 0);
  RomClient& port() { return port_; }

 private:
  RomClient port_;
  std::string buffer_;
};

}  // namespace sim_test
