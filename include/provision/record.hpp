// The device record: one JSON object that each step reads and extends. Field order is insertion order, so the
// output of a pipeline is stable. Fields are documented in README.md ("The device record").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "provision/error.hpp"

namespace provision {

using Record = nlohmann::ordered_json;

// True for fields whose values are secrets (psk, passwords, private keys): never logged, "***" under --redact.
bool is_secret_field(std::string_view name);

// Copy of `record` with every secret field (at any depth) replaced by "***".
Record redact(const Record& record);

// Adds or replaces every field of `fields` in `record`, keeping the position of fields already there.
void merge_into(Record& record, const Record& fields);

// The error record: {"ok":false,"error":{"code","message","field"}}, merged over what the record had.
Record error_record(const Error& error, const Record& base = Record::object());

// Reconstructs the Error carried by an error record (from a previous pipeline step), if any.
bool record_error(const Record& record, ErrorCode& code, std::string& message, std::string& field);

// CSV for spreadsheets: RFC 4180 quoting; nested values are written as compact JSON.
// Columns: the known fields in their documented order, then any others in first-seen order.
std::vector<std::string> csv_columns(const std::vector<Record>& records);
std::string csv_header(const std::vector<std::string>& columns);
std::string csv_row(const Record& record, const std::vector<std::string>& columns);

// "key: value" lines for people.
std::string text_lines(const Record& record);

// The one place a record becomes JSON text (stdout, --save, the ledger, progress events). Strings that are not
// UTF-8 (a port path, a flag, bytes from a file) have each bad byte written as \xHH rather than aborting.
std::string to_json_text(const Record& record, int indent = -1);

// Parses one record (a JSON object) from text; errors name the source.
Record parse_record(std::string_view text, std::string_view source);

}  // namespace provision
