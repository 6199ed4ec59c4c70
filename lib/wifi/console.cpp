// The AT console client: lines over a Link, commands with their final line, unsolicited lines kept apart.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "provision/error.hpp"
#include "provision/loader/board_output.hpp"
#include "provision/loader/command.hpp"
#include "provision/loader/slip.hpp"
#include "provision/wifi.hpp"
#include "wifi/console_lines.hpp"
#include "wifi/shown.hpp"

namespace provision::wifi {
namespace {

// A booting firmware prints its logs and +READY within a few hundred ms; only then is probing worth a write.
constexpr Millis kListenBeforeProbe{300};
constexpr Millis kProbeInterval{500};
// Answers to probes sent before the console was ready arrive right behind the first one; wait this long for
// them so none is taken for the next command's final line.
constexpr Millis kDrainQuiet{150};
// The firmware drops an Improv frame whose bytes stop for 1 s (PROTOCOL.md 6); the station does the same.
constexpr Millis kFrameGap{1000};
// "\r\n" first: an empty line gets no answer, and it ends any partial line the device may hold from boot noise.
constexpr std::string_view kProbe = "\r\nAT\r\n";
// A ROM loader answers a SYNC within a few ms (esptool waits 100 ms); this long after the first probe, the bytes
// heard so far say whether the board is waiting in download mode.
constexpr Millis kRomAnswerWindow{150};
// The first probe: a line end, a ROM SYNC frame (no line end inside: the console takes its bytes as one line and
// answers ERROR:unknown_command), then the AT probe.
std::vector<std::uint8_t> first_probe() {
  std::vector<std::uint8_t> probe{'\r', '\n'};
  const auto sync = loader::slip_encode(loader::encode_request(loader::Command::sync, loader::sync_body(), 0));
  probe.insert(probe.end(), sync.begin(), sync.end());
  probe.insert(probe.end(), kProbe.begin(), kProbe.end());
  return probe;
}
// What wait_ready keeps of the raw bytes for the mode check: enough for a ROM banner and SYNC answers.
constexpr std::size_t kHeardLimit = 4096;

std::string label_of(std::string_view line) {
  return std::string(line.substr(0, std::min(line.find('='), line.size())));
}

long long ms(Millis duration) { return static_cast<long long>(duration.count()); }

}  // namespace

struct Console::State {
  ConsoleLines lines;
  bool input_idle = false;
  bool hearing = false;  // wait_ready keeps the raw bytes for the mode check
  std::vector<std::uint8_t> heard;
  std::array<std::uint8_t, 512> buffer{};
};

Console::Console(Link& link, Millis command_timeout)
    : link_(link), command_timeout_(command_timeout), state_(std::make_unique<State>()) {}

Console::~Console() = default;

asio::awaitable<std::optional<std::string>> Console::next_line(Clock::time_point deadline) {
  while (true) {
    if (auto line = state_->lines.next(state_->input_idle)) co_return line;
    auto now = Clock::now();
    if (now >= deadline) co_return std::nullopt;
    auto wait = std::max(Millis(1), std::chrono::ceil<Millis>(deadline - now));
    bool partial = state_->lines.holds_partial_frame();
    if (partial) wait = std::min(wait, kFrameGap);
    std::size_t n = co_await link_.read_some(state_->buffer, wait);
    if (n == 0) {
      state_->input_idle = partial;
      continue;
    }
    state_->input_idle = false;
    if (state_->hearing && state_->heard.size() < kHeardLimit) {
      const std::size_t take = std::min(n, kHeardLimit - state_->heard.size());
      state_->heard.insert(state_->heard.end(), state_->buffer.begin(),
                           state_->buffer.begin() + static_cast<std::ptrdiff_t>(take));
    }
    state_->lines.feed(std::span(state_->buffer.data(), n));
  }
}

asio::awaitable<void> Console::drain_answers(Millis quiet) {
  for (;;) {  // not `while (auto x = co_await ...)`: GCC 12 miscompiles co_await in conditions
    auto line = co_await next_line(Clock::now() + quiet);
    if (!line) break;
    auto parsed = at::classify(*line);
    if (at::is_unsolicited(parsed) && parsed.name != "READY") unsolicited_.push_back(std::move(parsed));
  }
}

asio::awaitable<void> Console::wait_ready(Millis timeout) {
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  auto next_probe = start + kListenBeforeProbe;
  std::optional<Clock::time_point> mode_check;
  int probes_sent = 0;
  state_->heard.clear();
  state_->hearing = true;
  while (true) {
    auto wake = std::min(deadline, next_probe);
    if (mode_check) wake = std::min(wake, *mode_check);
    auto line = co_await next_line(wake);
    if (line) {
      auto parsed = at::classify(*line);
      bool ready = (parsed.kind == at::LineKind::data && parsed.name == "READY") ||
                   (parsed.kind == at::LineKind::ok && probes_sent > 0);
      if (ready) {
        state_->hearing = false;
        if (probes_sent > 0) co_await drain_answers(kDrainQuiet);
        co_return;
      }
      if (at::is_unsolicited(parsed)) unsolicited_.push_back(std::move(parsed));
    }
    refuse_rom_loader();
    auto now = Clock::now();
    if (mode_check && now >= *mode_check) mode_check.reset();
    if (now >= deadline) {
      state_->hearing = false;
      throw Error(ErrorCode::firmware_timeout,
                  fmt::format("{}: the firmware printed no +READY and answered no AT within {} ms ({} probes sent); "
                              "check that the board runs the application (not the ROM download mode) at 115200 "
                              "baud, or give it more time with --ready-timeout",
                              link_.name(), ms(timeout), probes_sent));
    }
    if (now >= next_probe) {
      if (probes_sent == 0) {
        const auto probe = first_probe();
        co_await link_.write(probe);
        mode_check = now + kRomAnswerWindow;
      } else {
        co_await link_.write(std::span(reinterpret_cast<const std::uint8_t*>(kProbe.data()), kProbe.size()));
      }
      ++probes_sent;
      next_probe = now + kProbeInterval;
    }
  }
}

void Console::refuse_rom_loader() {
  const auto verdict = loader::classify_board_output(state_->heard);
  if (verdict.kind != loader::BoardOutput::rom_loader) return;
  state_->hearing = false;
  const std::string said = verdict.evidence.starts_with("a ROM response") ? "it answered " + verdict.evidence
                                                                          : "it printed \"" + verdict.evidence + "\"";
  throw Error(ErrorCode::wrong_mode,
              fmt::format("{}: the board is in the ROM loader (download mode), not running its application: {}. "
                          "Reset it so the application boots: `espprov reset -p {}`, or press RESET with BOOT "
                          "released",
                          link_.name(), said, link_.name()),
              "port");
}

asio::awaitable<std::vector<at::Line>> Console::secret_reply_command(std::string_view line) {
  link_.mask_reads(true);
  std::exception_ptr failure;
  std::vector<at::Line> reply;
  try {
    reply = co_await command(line);
  } catch (...) {
    failure = std::current_exception();  // no co_await in a handler: unmask first, then rethrow
  }
  link_.mask_reads(false);
  if (failure) std::rethrow_exception(failure);
  co_return reply;
}

asio::awaitable<std::vector<at::Line>> Console::command(std::string_view command_line,
                                                        const serial::SecretRanges& secrets,
                                                        std::optional<Millis> timeout) {
  const Millis limit = timeout.value_or(command_timeout_);
  const std::string label = label_of(command_line);
  std::string line = std::string(command_line) + std::string(at::kLineEnd);
  co_await link_.write(std::span(reinterpret_cast<const std::uint8_t*>(line.data()), line.size()), secrets);
  const auto deadline = Clock::now() + limit;
  std::vector<at::Line> data;
  bool saw_ready = false;
  for (;;) {  // not `while (auto x = co_await ...)`: GCC 12 miscompiles co_await in conditions
    auto text = co_await next_line(deadline);
    if (!text) break;
    auto parsed = at::classify(*text);
    switch (parsed.kind) {
      case at::LineKind::ok:
        co_return data;
      case at::LineKind::error:
        throw firmware_error(label.starts_with("AT+") ? std::string_view(label).substr(3) : label, parsed.name);
      case at::LineKind::data:
        // +READY may be an old line from boot that nobody read; a command lost in a restart times out below.
        if (parsed.name == "READY") {
          saw_ready = true;
        } else if (at::is_unsolicited(parsed)) {
          unsolicited_.push_back(std::move(parsed));
        } else {
          data.push_back(std::move(parsed));
        }
        break;
      case at::LineKind::log:
        break;
    }
  }
  if (saw_ready) {
    throw Error(ErrorCode::firmware_error,
                fmt::format("{}: the firmware restarted (+READY) and gave no final OK/ERROR to {} within {} ms; run "
                            "the step again",
                            link_.name(), label, ms(limit)));
  }
  throw Error(ErrorCode::device_timeout,
              fmt::format("{}: the firmware gave no final OK/ERROR to {} within {} ms; check that nothing else "
                          "uses the port and that the board runs the application",
                          link_.name(), label, ms(limit)));
}

asio::awaitable<std::optional<at::Line>> Console::wait_unsolicited(std::string_view name, Millis timeout) {
  auto queued = std::find_if(unsolicited_.begin(), unsolicited_.end(), [&](const at::Line& l) { return l.name == name; });
  if (queued != unsolicited_.end()) {
    at::Line found = std::move(*queued);
    unsolicited_.erase(queued);
    co_return found;
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {  // not `while (auto x = co_await ...)`: GCC 12 miscompiles co_await in conditions
    auto text = co_await next_line(deadline);
    if (!text) break;
    auto parsed = at::classify(*text);
    if (!at::is_unsolicited(parsed)) continue;  // logs, and final lines no command is waiting for
    if (parsed.name == name) co_return parsed;
    unsolicited_.push_back(std::move(parsed));
  }
  co_return std::nullopt;
}

}  // namespace provision::wifi
