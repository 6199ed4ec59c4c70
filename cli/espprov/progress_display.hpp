// The live progress display for a terminal: one line per device, redrawn in place (ANSI), at most ~10 times a
// second. Used by --progress auto when stderr is a terminal.
#pragma once

#include "provision/progress.hpp"

namespace espprov {

provision::ProgressSink live_progress_sink();

}  // namespace espprov
