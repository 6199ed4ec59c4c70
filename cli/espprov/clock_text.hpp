// Time as the CLI prints it (progress events, monitor lines).
#pragma once

#include <string>

namespace espprov {

// Now as RFC 3339 UTC with milliseconds: "2026-01-02T03:04:05.678Z".
std::string utc_now_rfc3339_ms();

}  // namespace espprov
