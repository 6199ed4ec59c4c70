#include "progress_display.hpp"

#include <chrono>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace espprov {
namespace {
namespace progress_display {

struct DeviceLine {
  std::string device;
  std::string step;
  provision::StepState state = provision::StepState::started;
  double fraction = 0;
  std::string message;
};

class LiveDisplay {
 public:
  void update(const provision::ProgressEvent& e) {
    std::lock_guard guard(mutex_);
    auto& line = find(e.device.empty() ? "device" : e.device);
    line.step = e.step;
    line.state = e.state;
    line.fraction = e.fraction;
    line.message = e.message;
    auto now = std::chrono::steady_clock::now();
    // Fractions come often during a flash write; step changes always redraw.
    if (e.state == provision::StepState::progress && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    draw();
  }

 private:
  DeviceLine& find(const std::string& device) {
    for (auto& line : lines_) {
      if (line.device == device) return line;
    }
    lines_.push_back({device, "", provision::StepState::started, 0, ""});
    return lines_.back();
  }

  static std::string bar(double fraction) {
    constexpr int kWidth = 20;
    int filled = static_cast<int>(fraction * kWidth + 0.5);
    if (filled < 0) filled = 0;
    if (filled > kWidth) filled = kWidth;
    return "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(kWidth - filled, ' ') + "]";
  }

  void draw() {
    std::string out;
    if (drawn_ > 0) out += fmt::format("\x1b[{}A", drawn_);  // back to the first line drawn last time
    for (const auto& line : lines_) {
      std::string state = provision::to_string(line.state);
      std::string shown = line.state == provision::StepState::progress ? bar(line.fraction) : state;
      std::string text = fmt::format("{:<16} {:<12} {:<22} {}", line.device, line.step, shown, line.message);
      if (text.size() > 118) text.resize(118);
      out += "\x1b[2K" + text + "\n";
    }
    drawn_ = lines_.size();
    std::cerr << out << std::flush;
  }

  std::mutex mutex_;
  std::vector<DeviceLine> lines_;
  std::size_t drawn_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace progress_display
using namespace progress_display;
}  // namespace

provision::ProgressSink live_progress_sink() {
  auto display = std::make_shared<LiveDisplay>();
  return [display](const provision::ProgressEvent& e) { display->update(e); };
}

}  // namespace espprov
