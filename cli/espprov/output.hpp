// The one place where --format is looked at: every subcommand prints its records, lists and errors through these
// functions, so json, csv and text mean the same thing for each of them.
//
//   json  one object per line (NDJSON); a list stays inside its record, as the pipe's next step expects it.
//   csv   a header (see --csv-header) and one row per record; a record's list becomes one row per item, the
//         record's own fields (port, mac, file) repeated on each row so a spreadsheet can filter by them.
//   text  for people: a record as "key: value" lines, a list as a table with aligned columns and a header,
//         an error as a block naming the code, the exit code, the field and the message.
#pragma once

#include <string>
#include <vector>

#include "provision/record.hpp"

namespace espprov {

// Prints one record, with "ok": true first when the record has no "ok" yet.
void emit(provision::Record record);
// Prints several records: json = one object per line, csv = one header + rows, text = a table. With no records,
// csv and text print the header of `columns_when_empty` alone (a spreadsheet import still sees the columns).
void emit_many(const std::vector<provision::Record>& records, const std::vector<std::string>& columns_when_empty = {});

// A record whose content is a list (access points, saved networks, NVS entries). JSON prints `record` as it is;
// csv prints one row per item of `items`, each after the record's scalar fields; text prints those fields as lines
// and then `items` as a table. `list_field` names the list inside `record`, left out of the lines and rows.
void emit_listing(provision::Record record, const std::vector<provision::Record>& items, const std::string& list_field);

// Rows whose columns are fixed before the first one is known (provision streams a row per finished board): the
// header goes out with the first row (per --csv-header), text rows are blocks.
class RowStream {
 public:
  explicit RowStream(std::vector<std::string> csv_columns) : columns_(std::move(csv_columns)) {}
  void write(const provision::Record& shown);

 private:
  std::vector<std::string> columns_;
  bool header_done_ = false;
};

// The error record on stdout in the chosen format (text: a readable block), the message on stderr.
void emit_error(const provision::Record& record, provision::ErrorCode code, const std::string& message);

// Whether a CSV header goes out: --csv-header always / never, or auto = unless stdout is a regular file that already
// has content (appending to a spreadsheet with >> must not repeat the header between rows).
bool csv_header_wanted();

// An aligned text table: a header line of the column names, then one line per row (cells as in csv).
std::string text_table(const std::vector<provision::Record>& rows);

}  // namespace espprov
