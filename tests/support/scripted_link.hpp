// An in-memory serial::Link playing a scripted peer, after esp-serial-flasher's serial mock: protocol clients
// (loader, AT console, Improv) get unit tests that run in microseconds, with no pty and no simulator.
//
// A script is a list of steps, consumed in order: the bytes the host must write next, and what the peer answers
// (or silence, a reset, a delay). Writes with no step left go to a responder (a peer model, e.g. a small ROM),
// or are a script failure. The link's time is virtual: a read with nothing to deliver returns 0 at once, which a
// client takes as its timeout, so a test of a 3 s timeout takes microseconds.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "provision/serial.hpp"

namespace test_support {

class ScriptedLink final : public provision::serial::Link {
 public:
  using Bytes = std::vector<std::uint8_t>;
  using Millis = provision::serial::Millis;
  // Computes the peer's answer to one write (empty = silence).
  using Responder = std::function<Bytes(const Bytes& written)>;

  explicit ScriptedLink(std::string name = "scripted") : name_(std::move(name)) {}

  // The next write must be exactly `written`; the peer then answers `reply` (empty: nothing, a silence).
  ScriptedLink& expect(Bytes written, Bytes reply = {});
  // The next write may be anything; the peer answers `reply`.
  ScriptedLink& any_write(Bytes reply = {});
  // Bytes the peer sends before the host writes again (a boot banner, a late answer).
  ScriptedLink& peer_sends(Bytes bytes);
  // The next read waits this long (virtually: the elapsed time grows, nothing sleeps) before any byte arrives.
  ScriptedLink& delay_next_read(Millis delay);
  // Writes past the script's end go to `responder`.
  ScriptedLink& otherwise(Responder responder);

  // Faults on bytes the peer sends (applied when queued): flip bit `bit` of byte `index` of the next answer, or
  // drop that byte.
  ScriptedLink& corrupt_next_answer(std::size_t index, int bit = 0);
  ScriptedLink& drop_from_next_answer(std::size_t index);

  // ---- what happened ----
  bool script_done() const { return steps_.empty(); }
  const std::vector<std::string>& problems() const { return problems_; }  // writes that broke the script
  const std::vector<Bytes>& writes() const { return writes_; }
  std::size_t discards() const { return discards_; }
  Millis elapsed() const { return elapsed_; }  // virtual time waited by reads that timed out or were delayed

  // ---- Link ----
  boost::asio::awaitable<std::size_t> read_some(std::span<std::uint8_t> buffer, Millis timeout) override;
  boost::asio::awaitable<void> write(std::span<const std::uint8_t> bytes,
                                     const provision::serial::SecretRanges& secrets = {}) override;
  void set_baud(unsigned baud) override { baud_ = baud; }
  unsigned baud() const override { return baud_; }
  bool set_modem_lines(std::optional<bool>, std::optional<bool>) override { return false; }
  void discard_input() override;
  const std::string& name() const override { return name_; }

 private:
  struct Step {
    std::optional<Bytes> written;  // none: any write
    Bytes reply;
    std::optional<Bytes> unsolicited;  // peer_sends: no write consumed
  };
  struct PendingFault {
    std::size_t index;
    std::optional<int> flip_bit;  // none: drop the byte
  };
  void queue_reply(Bytes reply);

  std::string name_;
  unsigned baud_ = 115200;
  std::deque<Step> steps_;
  Responder responder_;
  std::deque<std::uint8_t> input_;
  std::optional<PendingFault> fault_;
  Millis next_read_delay_{0};
  Millis elapsed_{0};
  std::vector<std::string> problems_;
  std::vector<Bytes> writes_;
  std::size_t discards_ = 0;
};

}  // namespace test_support
