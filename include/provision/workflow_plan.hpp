// The plan of one board's run, for `provision --dry-run`: what provision_device would do with these options.
#pragma once

#include <string>
#include <vector>

#include "provision/workflow.hpp"

namespace provision::workflow {

// The steps provision_device runs on a board with these options, in order, by the names its progress reports
// (a test holds them to a real run's progress).
std::vector<std::string> planned_steps(const ProvisionOptions& options);

}  // namespace provision::workflow
