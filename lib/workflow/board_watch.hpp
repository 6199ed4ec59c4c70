// Station mode: waiting on a port for the next board. Private to lib/workflow.
#pragma once

#include <chrono>
#include <string>

#include "provision/workflow.hpp"

namespace provision::workflow {

// Polls `port` every `poll` until a board whose MAC is not `last_mac` answers in download mode. A board that still
// answers with `last_mac` is reset back into its application. Returns false when `hooks.stop` is set first.
asio::awaitable<bool> wait_for_next_board(const std::string& port, const std::string& last_mac,
                                          const ProvisionOptions& options, const Hooks& hooks,
                                          std::chrono::milliseconds poll);

}  // namespace provision::workflow
