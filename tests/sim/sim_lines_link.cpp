#include "sim/sim_lines_link.hpp"

#include <stdexcept>

#include "sim/sim_run.hpp"

namespace sim_test {

SimLinesLink::SimLinesLink(std::unique_ptr<provision::serial::Link> pty, std::filesystem::path control,
                           std::string board_port)
    : pty_(std::move(pty)), control_(std::move(control)), board_port_(std::move(board_port)) {}

bool SimLinesLink::set_modem_lines(std::optional<bool> dtr, std::optional<bool> rts) {
  if (dtr) dtr_ = *dtr;
  if (rts) rts_ = *rts;
  const std::string answer =
      control_request(control_, "lines " + board_port_ + " " + (dtr_ ? "1" : "0") + " " + (rts_ ? "1" : "0"));
  if (answer != "ok") throw std::runtime_error("simulator refused lines: " + answer);
  ++changes_;
  return true;
}

}  // namespace sim_test
