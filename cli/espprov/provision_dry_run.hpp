// espprov provision --dry-run: after the checks every run makes before a board is touched (flags, files, the CA's
// health over verified TLS, duplicated ports, the --save and --ledger folders), it also opens the ledger when it
// exists and opens each port (nothing is written to it), then prints what it checked and the steps each board
// would go through. No board is reset, written or read.
#pragma once

#include <optional>

#include "provision/ca.hpp"
#include "provision/workflow_plan.hpp"
#include "provision_options.hpp"

namespace espprov {

// `ca_health`: the answer of the pre-flight health check (nullopt with --no-ca or --wifi-only).
void run_provision_dry_run(const ProvisionCliOptions& cli, const provision::workflow::ProvisionOptions& options,
                           const provision::workflow::StationOptions& station,
                           const std::optional<provision::ca::HealthReport>& ca_health);

}  // namespace espprov
