// Progress is an interface: the library reports events, the CLI decides how to show them (terminal, lines,
// NDJSON). Messages never contain secrets.
#pragma once

#include <functional>
#include <string>

namespace provision {

enum class StepState { started, progress, done, failed, skipped };

struct ProgressEvent {
  std::string device;   // port or MAC; empty for single-device steps
  std::string step;     // "mac", "flash", "ca-register", ...
  StepState state = StepState::progress;
  double fraction = 0;  // 0..1 within the step, when known
  std::string message;  // short, human, secret-free
  // A wait notice (wait_notices.hpp): what the step is waiting for ("CA", "WiFi", ...) and for how long so far;
  // empty / 0 for every other event. Default-initialised so brace lists that stop at `message` stay complete.
  std::string waiting = {};
  double waited_s = 0;
};

using ProgressSink = std::function<void(const ProgressEvent&)>;

inline void report(const ProgressSink& sink, ProgressEvent event) {
  if (sink) sink(event);
}

const char* to_string(StepState state);

}  // namespace provision
