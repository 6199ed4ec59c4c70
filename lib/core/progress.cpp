#include "provision/progress.hpp"

namespace provision {

const char* to_string(StepState state) {
  switch (state) {
    case StepState::started: return "started";
    case StepState::progress: return "progress";
    case StepState::done: return "done";
    case StepState::failed: return "failed";
    case StepState::skipped: return "skipped";
  }
  return "progress";
}

}  // namespace provision
