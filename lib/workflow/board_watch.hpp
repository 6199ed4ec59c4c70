// Station mode: waiting on a port for the next board. Private to lib/workflow.
#pragma once

#include <chrono>
#include <string>

#include "provision/workflow.hpp"

namespace provision::workflow {

// Polls `port` every `poll` until a board whose MAC is not `last_mac` answers in download mode. A board that still
// answers with `last_mac` is reset back into its application. Returns false when `hooks.stop` is set first, or,
// with `end_when_gone` (--ports auto), when the port no longer exists.
asio::awaitable<bool> wait_for_next_board(const std::string& port, const std::string& last_mac,
                                          const ProvisionOptions& options, const Hooks& hooks,
                                          std::chrono::milliseconds poll, bool end_when_gone = false);

}  // namespace provision::workflow
