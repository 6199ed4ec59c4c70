// Step commands over NDJSON: --in holds one device record per line (many boards), the step runs on each and prints
// one record per input line, in input order. A line that carries an earlier step's error passes through unchanged;
// a line the step fails on becomes that line's error record, and the other lines go on.
//
// Exit code (as for provision and nvs-batch): 0 when every line succeeded; when every line failed with the same
// error, that error's code; otherwise 5 (partial_failure). One input record behaves as a single step always did:
// its error is the run's error.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "provision/record.hpp"

namespace espprov {

// The records of --in: one JSON object (which may span lines), or one object per line (blank lines skipped).
// An empty path is one empty record (the step's flags give its input).
std::vector<provision::Record> read_input_records(const std::string& in);

using RecordStep = std::function<provision::Record(provision::Record)>;

// Runs `step` on every record and prints the results (see above).
void for_each_record(const std::vector<provision::Record>& records, const RecordStep& step);
inline void for_each_input_record(const std::string& in, const RecordStep& step) {
  for_each_record(read_input_records(in), step);
}

// A flag that sets one device's value (--mac, --uuid, --psk) cannot apply to many records: every board would get
// the same identity. Throws Error(usage) naming the flag when `given` and there is more than one record.
void require_one_record_for(const std::vector<provision::Record>& records, bool given, const std::string& flag);

// Board steps: more than one record needs each to name its "port" (and no --port flag, which would send every
// record to one board). Throws Error(usage) saying so.
void require_port_per_record(const std::vector<provision::Record>& records, const std::string& port_flag,
                             const std::string& step);

}  // namespace espprov
