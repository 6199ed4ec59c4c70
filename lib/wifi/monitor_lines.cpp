#include "provision/console_monitor.hpp"

#include <array>
#include <string_view>

#include "provision/text.hpp"
#include "provision/wifi_at.hpp"
#include "wifi/console_lines.hpp"

namespace provision::wifi {
namespace {

// Replies whose arguments are secrets (PROTOCOL.md 5.3): the proof of possession.
constexpr std::array<std::string_view, 1> kSecretReplies{"POP"};

}  // namespace

MonitorLines::MonitorLines() : lines_(std::make_unique<ConsoleLines>()) {}
MonitorLines::~MonitorLines() = default;

void MonitorLines::feed(std::span<const std::uint8_t> bytes) { lines_->feed(bytes); }

std::optional<std::string> MonitorLines::next(bool input_idle) {
  auto line = lines_->next(input_idle);
  if (!line) return std::nullopt;
  return shown_console_line(*line);
}

std::string shown_console_line(const std::string& line) {
  const auto parsed = at::classify(line);
  if (parsed.kind == at::LineKind::data && !parsed.arguments.empty()) {
    for (auto name : kSecretReplies) {
      if (parsed.name == name) return "+" + parsed.name + ":***";
    }
  }
  std::string_view text = line;
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return escape_invalid_utf8(text);
}

}  // namespace provision::wifi
