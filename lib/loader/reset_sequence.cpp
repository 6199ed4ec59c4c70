// esptool's custom reset sequence notation (esptool reset.py CustomReset: commands D, R, U, W split at '|').
#include "provision/loader/reset_sequence.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <optional>

#include "provision/error.hpp"

namespace provision::loader {
namespace {

constexpr const char* kAccepted =
    "use D0/D1 (DTR), R0/R1 (RTS), U<dtr>,<rts> (both, e.g. U1,0) and W<seconds> (e.g. W0.1) joined by '|', as "
    "in 'D0|R1|W0.1|D1|R0|W0.05|D0'";

[[noreturn]] void refuse(std::string_view text, std::size_t index, std::string_view command, std::string_view why) {
  throw Error(ErrorCode::bad_input,
              fmt::format("--reset-sequence '{}': command {} '{}' {}; {}", text, index + 1, command, why, kAccepted),
              "reset-sequence");
}

// "0" or "1".
std::optional<bool> parse_level(std::string_view digit) {
  if (digit == "0") return false;
  if (digit == "1") return true;
  return std::nullopt;
}

// A decimal number of seconds with at most six decimals, as microseconds. No sign, no exponent.
std::optional<std::int64_t> parse_seconds(std::string_view number) {
  std::size_t dot = number.find('.');
  std::string_view whole = number.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  if (dot != std::string_view::npos && fraction.empty()) return std::nullopt;
  if (whole.size() > 3 || fraction.size() > 6) return std::nullopt;
  std::int64_t micros = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    micros = micros * 10 + (c - '0');
  }
  micros *= 1'000'000;
  std::int64_t scale = 100'000;
  for (char c : fraction) {
    if (c < '0' || c > '9') return std::nullopt;
    micros += (c - '0') * scale;
    scale /= 10;
  }
  return micros;
}

ResetStep parse_command(std::string_view text, std::size_t index, std::string_view command) {
  if (command.empty()) refuse(text, index, command, "is empty (two '|' in a row, or one at an end)");
  std::string_view argument = command.substr(1);
  ResetStep step;
  switch (command.front()) {
    case 'D':
    case 'R': {
      auto level = parse_level(argument);
      if (!level) refuse(text, index, command, "needs the level 0 or 1");
      step.kind = command.front() == 'D' ? ResetStep::Kind::set_dtr : ResetStep::Kind::set_rts;
      (command.front() == 'D' ? step.dtr : step.rts) = *level;
      return step;
    }
    case 'U': {
      std::size_t comma = argument.find(',');
      auto dtr = parse_level(argument.substr(0, comma));
      auto rts = comma == std::string_view::npos ? std::nullopt : parse_level(argument.substr(comma + 1));
      if (!dtr || !rts) refuse(text, index, command, "needs two levels, DTR then RTS, e.g. U1,0");
      step.kind = ResetStep::Kind::set_both;
      step.dtr = *dtr;
      step.rts = *rts;
      return step;
    }
    case 'W': {
      auto micros = parse_seconds(argument);
      if (!micros) refuse(text, index, command, "needs a wait in seconds such as 0.1 (at most six decimals)");
      if (*micros > static_cast<std::int64_t>(kMaxResetWaitSeconds * 1e6)) {
        refuse(text, index, command, fmt::format("waits longer than the limit of {} s", kMaxResetWaitSeconds));
      }
      step.kind = ResetStep::Kind::wait;
      step.wait = std::chrono::microseconds(*micros);
      return step;
    }
    default:
      refuse(text, index, command, "is not a command");
  }
}

std::string format_seconds(std::chrono::microseconds wait) {
  auto micros = wait.count();
  std::string text = fmt::format("{}.{:06}", micros / 1'000'000, micros % 1'000'000);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

ResetSequence parse_reset_sequence(std::string_view text) {
  if (text.empty()) {
    throw Error(ErrorCode::bad_input, fmt::format("--reset-sequence is empty; {}", kAccepted), "reset-sequence");
  }
  ResetSequence sequence;
  std::size_t start = 0;
  for (std::size_t index = 0;; ++index) {
    std::size_t bar = text.find('|', start);
    std::string_view command = text.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    if (sequence.steps.size() == kMaxResetSteps) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("--reset-sequence '{}' has more than {} commands", text, kMaxResetSteps),
                  "reset-sequence");
    }
    sequence.steps.push_back(parse_command(text, index, command));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return sequence;
}

std::string format_reset_sequence(const ResetSequence& sequence) {
  std::string text;
  for (const auto& step : sequence.steps) {
    if (!text.empty()) text += '|';
    switch (step.kind) {
      case ResetStep::Kind::set_dtr:
        text += step.dtr ? "D1" : "D0";
        break;
      case ResetStep::Kind::set_rts:
        text += step.rts ? "R1" : "R0";
        break;
      case ResetStep::Kind::set_both:
        text += fmt::format("U{},{}", step.dtr ? 1 : 0, step.rts ? 1 : 0);
        break;
      case ResetStep::Kind::wait:
        text += "W" + format_seconds(step.wait);
        break;
    }
  }
  return text;
}

std::chrono::microseconds total_wait(const ResetSequence& sequence) {
  std::chrono::microseconds total{0};
  for (const auto& step : sequence.steps) {
    if (step.kind == ResetStep::Kind::wait) total += step.wait;
  }
  return total;
}

}  // namespace provision::loader
