#include "support/scripted_link.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace test_support {
namespace {

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  for (auto b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace

ScriptedLink& ScriptedLink::expect(Bytes written, Bytes reply) {
  steps_.push_back({std::move(written), std::move(reply), std::nullopt});
  return *this;
}

ScriptedLink& ScriptedLink::any_write(Bytes reply) {
  steps_.push_back({std::nullopt, std::move(reply), std::nullopt});
  return *this;
}

ScriptedLink& ScriptedLink::peer_sends(Bytes bytes) {
  // Bytes sent before any write are readable at once; later ones after the preceding step's write.
  if (steps_.empty() && writes_.empty()) {
    queue_reply(std::move(bytes));
  } else {
    steps_.push_back({std::nullopt, {}, std::move(bytes)});
  }
  return *this;
}

ScriptedLink& ScriptedLink::delay_next_read(Millis delay) {
  next_read_delay_ = delay;
  return *this;
}

ScriptedLink& ScriptedLink::otherwise(Responder responder) {
  responder_ = std::move(responder);
  return *this;
}

ScriptedLink& ScriptedLink::corrupt_next_answer(std::size_t index, int bit) {
  fault_ = PendingFault{index, bit};
  return *this;
}

ScriptedLink& ScriptedLink::drop_from_next_answer(std::size_t index) {
  fault_ = PendingFault{index, std::nullopt};
  return *this;
}

void ScriptedLink::queue_reply(Bytes reply) {
  if (reply.empty()) return;
  if (fault_ && fault_->index < reply.size()) {
    if (fault_->flip_bit) {
      reply[fault_->index] ^= static_cast<std::uint8_t>(1u << *fault_->flip_bit);
    } else {
      reply.erase(reply.begin() + static_cast<std::ptrdiff_t>(fault_->index));
    }
    fault_.reset();
  }
  input_.insert(input_.end(), reply.begin(), reply.end());
}

boost::asio::awaitable<std::size_t> ScriptedLink::read_some(std::span<std::uint8_t> buffer, Millis timeout) {
  if (next_read_delay_.count() > 0) {
    auto waited = std::min(next_read_delay_, timeout);
    elapsed_ += waited;
    next_read_delay_ -= waited;
    if (next_read_delay_.count() > 0) co_return 0;  // still on its way when the read gave up
  }
  if (input_.empty()) {
    elapsed_ += timeout;  // virtual time: the timeout passes at once
    co_return 0;
  }
  std::size_t n = std::min(buffer.size(), input_.size());
  std::copy_n(input_.begin(), n, buffer.begin());
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(n));
  trace(provision::serial::Direction::from_device, buffer.first(n));
  co_return n;
}

boost::asio::awaitable<void> ScriptedLink::write(std::span<const std::uint8_t> bytes,
                                                 const provision::serial::SecretRanges& secrets) {
  trace_write(bytes, secrets);
  Bytes written(bytes.begin(), bytes.end());
  writes_.push_back(written);
  if (!steps_.empty()) {
    Step step = std::move(steps_.front());
    steps_.pop_front();
    if (step.written && *step.written != written) {
      problems_.push_back(fmt::format("write {}: expected {}, got {}", writes_.size(), hex(*step.written),
                                      hex(written)));
    }
    queue_reply(std::move(step.reply));
    // Unsolicited bytes scripted right after this step arrive behind its answer.
    while (!steps_.empty() && steps_.front().unsolicited) {
      queue_reply(std::move(*steps_.front().unsolicited));
      steps_.pop_front();
    }
    co_return;
  }
  if (responder_) {
    queue_reply(responder_(written));
    co_return;
  }
  problems_.push_back(fmt::format("write {} after the script ended: {}", writes_.size(), hex(written)));
}

void ScriptedLink::discard_input() {
  input_.clear();
  ++discards_;
}

}  // namespace test_support
