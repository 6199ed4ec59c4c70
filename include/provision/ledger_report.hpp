// `espprov ledger report`: a factory's figures from the ledger's step events (any backend). Pure: events in,
// figures out, then one writer per format. The html form is one self-contained page with inline SVG charts.
#pragma once

#include <string>
#include <vector>

#include "provision/record.hpp"

namespace provision {

// `events` as Ledger::events_since returns them (oldest first). Returns
// {"since","boards_started","boards_verified","first_pass","first_pass_yield",
//  "boards_per_hour":[{"hour","station","boards"}], "failures":[{"step","error_code","count"}],
//  "median_step_seconds":[{"step","seconds","samples"}]}.
Record ledger_report(const std::vector<Record>& events, const std::string& since);

std::string report_text(const Record& report);
std::string report_csv(const Record& report);   // one table: figure,hour,station,step,error_code,value
std::string report_html(const Record& report);  // no script, no external resource

}  // namespace provision
