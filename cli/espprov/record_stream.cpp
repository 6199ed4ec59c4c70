#include "record_stream.hpp"

#include <fmt/format.h>

#include <iostream>
#include <optional>
#include <set>

#include "command.hpp"
#include "provision/files.hpp"
#include "provision/text.hpp"

namespace espprov {
namespace {
namespace record_stream {

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

// A line that is not a record becomes that line's error record, so the lines after it still run.
provision::Record parse_line(const std::string& line, const std::string& source) {
  try {
    return provision::parse_record(line, source);
  } catch (const provision::Error& e) {
    return provision::error_record(e);
  }
}

// The error a finished line carries, as (code, message); false for a success.
bool failed(const provision::Record& record, provision::ErrorCode& code, std::string& message) {
  std::string field;
  return provision::record_error(record, code, message, field);
}

// Prints the results: NDJSON as each line finishes (the next step of the pipe starts at once); csv and text at the
// end, as one table with one header.
class Printer {
 public:
  void add(provision::Record record) {
    if (output_options().format == "json") return emit(std::move(record));
    held_.push_back(std::move(record));
  }
  void finish() {
    if (!held_.empty()) emit_many(held_);
  }

 private:
  std::vector<provision::Record> held_;
};

provision::Record ok_first(provision::Record record) {
  if (record.contains("ok")) return record;
  provision::Record ordered = provision::Record{{"ok", true}};
  provision::merge_into(ordered, record);
  return ordered;
}

}  // namespace record_stream
using namespace record_stream;
}  // namespace

std::vector<provision::Record> read_input_records(const std::string& in) {
  if (in.empty()) return {provision::Record::object()};
  const std::string source = in == "-" ? "stdin" : in;
  const std::string text = provision::read_file_text(in);
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    if (!is_blank(line)) lines.push_back(std::move(line));
    at = end + 1;
  }
  // One record, possibly pretty-printed over several lines: parsed whole, its error thrown as a single step's, and
  // an earlier step's error passed on at once (before this step checks its own flags).
  std::optional<provision::Record> whole;
  if (lines.size() <= 1) whole = provision::parse_record(text, source);
  try {
    if (!whole) whole = provision::parse_record(text, source);
  } catch (const provision::Error&) {
    // Not one object: one per line.
  }
  if (whole) {
    provision::ErrorCode code{};
    std::string message, field;
    if (provision::record_error(*whole, code, message, field)) throw UpstreamFailure{*whole, code, message};
    return {*whole};
  }
  std::vector<provision::Record> records;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    records.push_back(parse_line(lines[i], fmt::format("{} record {}", source, i + 1)));
  }
  return records;
}

void for_each_record(const std::vector<provision::Record>& records, const RecordStep& step) {
  if (records.size() == 1) {
    provision::ErrorCode code{};
    std::string message, field;
    if (provision::record_error(records[0], code, message, field)) throw UpstreamFailure{records[0], code, message};
    return emit(step(records[0]));
  }
  Printer printer;
  std::set<provision::ErrorCode> codes;
  std::size_t failures = 0;
  std::string first_message;
  for (const auto& input : records) {
    provision::Record result;
    provision::ErrorCode code{};
    std::string message;
    if (failed(input, code, message)) {
      result = input;  // an earlier step's error, passed on as it came
    } else {
      try {
        result = ok_first(step(input));
      } catch (const provision::Error& e) {
        result = provision::Record{{"ok", false}};
        provision::merge_into(result, provision::error_record(e, input));
      }
    }
    if (failed(result, code, message)) {
      ++failures;
      codes.insert(code);
      if (first_message.empty()) first_message = message;
    }
    printer.add(std::move(result));
  }
  printer.finish();
  if (failures == 0) return;
  const int exit = failures == records.size() && codes.size() == 1
                       ? provision::exit_code_of(*codes.begin())
                       : provision::exit_code_of(provision::ErrorCode::partial_failure);
  std::vector<std::string> names;
  for (auto code : codes) names.emplace_back(provision::error_name(code));
  std::cerr << fmt::format("espprov: error: {} of {} records failed ({}); first: {}\n", failures, records.size(),
                           fmt::join(names, ", "), provision::escape_invalid_utf8(first_message));
  throw ExitWith{exit};
}

void require_one_record_for(const std::vector<provision::Record>& records, bool given, const std::string& flag) {
  if (!given || records.size() <= 1) return;
  const std::string field = flag.substr(flag.find_first_not_of('-'));
  throw provision::Error(provision::ErrorCode::usage,
                         fmt::format("{}: {} gives one device's value, but --in has {} records; each board needs its "
                                     "own (put it in each record, or run one record at a time)",
                                     field, flag, records.size()),
                         field);
}

void require_port_per_record(const std::vector<provision::Record>& records, const std::string& port_flag,
                             const std::string& step) {
  if (records.size() <= 1) return;
  std::size_t without_port = 0;
  for (const auto& record : records) {
    if (!record.contains("port") || !record["port"].is_string()) ++without_port;
  }
  if (port_flag.empty() && without_port == 0) return;
  throw provision::Error(
      provision::ErrorCode::usage,
      port_flag.empty()
          ? fmt::format("in: {} records on --in, {} without a \"port\"; {} works on one board per record, so each "
                        "record must name its port (or run one record at a time with --port)",
                        records.size(), without_port, step)
          : fmt::format("port: --port {} with {} records on --in would send every record to one board; drop --port "
                        "and let each record name its \"port\", or run one record at a time",
                        port_flag, records.size()),
      port_flag.empty() ? "in" : "port");
}

}  // namespace espprov
