#include "sim/sim_console.hpp"

#include <catch2/catch.hpp>
#include <utility>

namespace sim_test {

void SimConsole::send(const std::string& line) {
  std::string text = line + "\r\n";
  port_.send_raw(Bytes(text.begin(), text.end()));
}

std::string SimConsole::until(const std::string& prefix, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    buffer_ += port_.read_text(std::chrono::milliseconds(50));
    for (std::size_t start = 0, end; (end = buffer_.find('\n', start)) != std::string::npos; start = end + 1) {
      if (buffer_.compare(start, prefix.size(), prefix) == 0) {
        std::string result = buffer_.substr(0, end + 1);
        buffer_.erase(0, end + 1);
        return result;
      }
    }
  }
  return std::exchange(buffer_, {});
}

void SimConsole::require_boot_after_reset(const SimRun& sim, int index) {
  REQUIRE(sim.control("reset " + std::to_string(index)) == "ok");
  {
    INFO("the simulated firmware printed no +READY after a reset: it did not boot (a build without the firmware "
         "core cannot run app mode)");
    REQUIRE(until("+READY").find("+READY") != std::string::npos);
  }
  // The +READY read may be the one from the boot before the reset (printed after this port was opened); the board
  // then drops what it receives until its new boot is done, so AT is retried until it is answered.
  bool answered = false;
  for (int attempt = 0; attempt < 20 && !answered; ++attempt) {
    send("AT");
    answered = until("OK", std::chrono::milliseconds(250)).find("OK") != std::string::npos;
  }
  INFO("the booted firmware did not answer AT with OK");
  REQUIRE(answered);
}

}  // namespace sim_test
