#include "provision/loader/board_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "provision/loader/slip.hpp"

namespace provision::loader {
namespace {

// A ROM response: direction 0x01, command, 16-bit size, 32-bit value, then `size` bytes (esptool's "Serial
// Protocol", Response Packet).
constexpr std::size_t kResponseHeaderBytes = 8;
constexpr std::uint8_t kResponseDirection = 0x01;

// Lines every ESP32-family ROM prints after a reset whichever mode it boots into (esptool's "Boot Log"
// documentation and the chips' ROM banners): they say nothing about the mode by themselves.
constexpr std::array<std::string_view, 10> kResetPreamble = {
    "ESP-ROM:", "Build:", "rst:", "ets ", "configsip:", "clk_drv:", "mode:", "load:", "entry ", "SPIWP:"};
// What only the ROM's download mode prints: the boot line names a DOWNLOAD strap value, then it waits.
constexpr std::string_view kWaitingForDownload = "waiting for download";
constexpr std::string_view kDownloadBoot = "(DOWNLOAD";

constexpr std::size_t kEvidenceChars = 60;

std::optional<std::uint8_t> rom_response_command(std::span<const std::uint8_t> bytes) {
  SlipDecoder decoder;
  decoder.feed(bytes);
  while (decoder.has_frame()) {
    auto frame = decoder.pop_frame();
    const auto& p = frame.payload;
    if (frame.fault != SlipFault::none || p.size() < kResponseHeaderBytes || p[0] != kResponseDirection) continue;
    const std::size_t size = static_cast<std::size_t>(p[2]) | static_cast<std::size_t>(p[3]) << 8;
    if (kResponseHeaderBytes + size == p.size()) return p[1];
  }
  return std::nullopt;
}

bool printable(std::string_view line) {
  // Logs may carry UTF-8 or an ANSI colour escape; a line that is mostly binary is line noise or a SLIP frame.
  const auto text = std::count_if(line.begin(), line.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte >= 0x20 && byte < 0x7F) || byte == '\t' || byte == 0x1B || byte >= 0x80;
  });
  return !line.empty() && text * 10 >= static_cast<std::ptrdiff_t>(line.size()) * 9;
}

bool reset_preamble(std::string_view line) {
  return std::any_of(kResetPreamble.begin(), kResetPreamble.end(),
                     [&](std::string_view start) { return line.starts_with(start); });
}

bool download_banner(std::string_view line) {
  return line.find(kWaitingForDownload) != std::string_view::npos ||
         (line.starts_with("rst:") && line.find(kDownloadBoot) != std::string_view::npos);
}

std::string evidence_of(std::string_view line) {
  std::string shown;
  for (char c : line.substr(0, kEvidenceChars)) {
    const auto byte = static_cast<unsigned char>(c);
    shown += byte >= 0x20 && byte < 0x7F ? c : '.';
  }
  return shown;
}

// The verdict of one line, or nullopt when it decides nothing.
std::optional<BoardOutputVerdict> classify_line(std::string_view line, bool complete) {
  while (!line.empty() && (line.back() == '\r' || line.front() == '\r' || line.front() == '\0')) {
    line = line.back() == '\r' ? line.substr(0, line.size() - 1) : line.substr(1);
  }
  if (!printable(line)) return std::nullopt;
  if (download_banner(line)) return BoardOutputVerdict{BoardOutput::rom_loader, evidence_of(line)};
  // An incomplete line may still become a ROM banner line; and the preamble is common to both modes.
  if (!complete || reset_preamble(line)) return std::nullopt;
  return BoardOutputVerdict{BoardOutput::console_text, evidence_of(line)};
}

}  // namespace

BoardOutputVerdict classify_board_output(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return {};
  if (auto command = rom_response_command(bytes)) {
    return {BoardOutput::rom_loader, fmt::format("a ROM response to command 0x{:02X}", *command)};
  }
  BoardOutputVerdict verdict{BoardOutput::unknown, ""};
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const bool complete = end != std::string_view::npos;
    const std::string_view line = text.substr(start, complete ? end - start : std::string_view::npos);
    if (auto decided = classify_line(line, complete)) verdict = std::move(*decided);
    if (!complete) break;
    start = end + 1;
  }
  return verdict;
}

const char* to_string(BoardOutput kind) {
  switch (kind) {
    case BoardOutput::silence:
      return "silence";
    case BoardOutput::rom_loader:
      return "rom_loader";
    case BoardOutput::console_text:
      return "console_text";
    case BoardOutput::unknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace provision::loader
