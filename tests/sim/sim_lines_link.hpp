// A link to a simulated board whose DTR/RTS reach the simulator: the bytes go over the board's pseudo-terminal (a
// real pty link), the modem lines, which a pty cannot carry, over the simulator's control socket as
// `lines <port> <dtr> <rts>` (firmware/host/README.md), answered before the call returns, so a line change is in
// effect before the next byte is written, as with a USB bridge's control transfer.
#pragma once

#include <filesystem>
#include <memory>

#include "provision/serial.hpp"

namespace sim_test {

class SimLinesLink final : public provision::serial::Link {
 public:
  SimLinesLink(std::unique_ptr<provision::serial::Link> pty, std::filesystem::path control, std::string board_port);

  boost::asio::awaitable<std::size_t> read_some(std::span<std::uint8_t> buffer,
                                                provision::serial::Millis timeout) override {
    return pty_->read_some(buffer, timeout);
  }
  boost::asio::awaitable<void> write(std::span<const std::uint8_t> bytes,
                                     const provision::serial::SecretRanges& secrets) override {
    return pty_->write(bytes, secrets);
  }
  void set_baud(unsigned baud) override { pty_->set_baud(baud); }
  unsigned baud() const override { return pty_->baud(); }
  bool set_modem_lines(std::optional<bool> dtr, std::optional<bool> rts) override;
  void discard_input() override { pty_->discard_input(); }
  const std::string& name() const override { return pty_->name(); }

  int line_changes() const { return changes_; }

 private:
  std::unique_ptr<provision::serial::Link> pty_;
  std::filesystem::path control_;
  std::string board_port_;
  bool dtr_ = false, rts_ = false;
  int changes_ = 0;
};

}  // namespace sim_test
