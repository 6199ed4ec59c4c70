// Inputs for NVS partitions in Espressif's formats: the CSV of nvs_partition_gen (key,type,encoding,value) and the
// manufacturing batch of mfg_gen (a key-definition CSV plus a values CSV with one row per device).
// Pure: files named by `file` rows are read through the FileLoader the caller passes.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "provision/nvs.hpp"

namespace provision::nvs {

// One CSV record and the line it starts on (1-based, counted in the file as given, comment lines included).
struct CsvRow {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

// RFC 4180 as Python's csv module reads it, after nvs_partition_gen's preprocessing: universal newlines (CRLF and
// CR become LF, also inside quoted values), lines starting with '#' dropped (even inside a multi-line quoted value),
// blank lines skipped, spaces kept, a UTF-8 byte-order mark ignored. Throws Error(bad_input) for an unterminated
// quote, naming the line it started on.
std::vector<CsvRow> parse_csv(std::string_view text);

// Reads a file named by a `file` row (the caller resolves it, normally relative to the CSV's folder).
using FileLoader = std::function<std::vector<std::uint8_t>(const std::string& path)>;

// Turns nvs_partition_gen's CSV into content. Header `key,type,encoding,value`; types namespace, data, file;
// encodings u8 i8 u16 i16 u32 i32 u64 i64 string hex2bin base64 binary. Errors (bad_input or nvs_limit) name the
// line, the key and what is expected.
Content content_from_csv(std::string_view text, const FileLoader& load_file);

// Decodes one value as nvs_partition_gen does (`data` rows; `file` rows pass the file's bytes as text).
// Errors name `key`.
Value decode_value(std::string_view encoding, std::string_view text, std::string_view key);
// Python's lenient binascii.a2b_base64: characters outside the alphabet are skipped; bad padding fails.
std::vector<std::uint8_t> decode_base64_lenient(std::string_view text, std::string_view key);

// ---- Manufacturing batch (mfg_gen's model) ----
// Key definitions: a CSV like nvs_partition_gen's where `data`/`file` rows may leave `value` empty; each device's
// value comes from the values CSV column named like the key (a non-empty definition value is a default for all).
// The values CSV has a header of key names (plus optionally the id column) and one row per device.
struct BatchDevice {
  std::string id;        // the id column's value, else the 1-based row number
  std::size_t line = 0;  // line in the values CSV
  Content content;
};

struct BatchFailure {
  std::string id;
  std::size_t line = 0;
  std::string column;   // the key (column) at fault, empty for a whole-row problem
  std::string message;
  ErrorCode code = ErrorCode::bad_input;  // what kind of failure (nvs_limit, io, ...), for exit codes and records
};

struct BatchPlan {
  std::vector<BatchDevice> devices;    // rows that decoded cleanly
  std::vector<BatchFailure> failures;  // every bad row, each with its column
};

// Throws Error(bad_input) only for problems of the definitions or the values header (they affect every row).
BatchPlan plan_batch(std::string_view definitions_csv, std::string_view values_csv, std::string_view id_column,
                     const FileLoader& load_file);

}  // namespace provision::nvs
