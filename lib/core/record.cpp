#include "provision/record.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>

#include "provision/device_record.hpp"
#include "provision/text.hpp"

namespace provision {
namespace {

// CSV column order for spreadsheets: the device record's table (provision/device_record.hpp), its error object as
// three columns. Unknown fields follow in first-seen order.
std::vector<std::string> known_columns() {
  std::vector<std::string> columns;
  for (const auto& field : kRecordFields) {
    if (field.kind == FieldKind::error) {
      columns.insert(columns.end(), {"error_code", "error_field", "error_message"});
    } else {
      columns.emplace_back(field.name);
    }
  }
  return columns;
}

void redact_in_place(Record& value) {
  if (value.is_object()) {
    for (auto& [key, item] : value.items()) {
      if (is_secret_field(key) && !item.is_null()) {
        item = "***";
      } else {
        redact_in_place(item);
      }
    }
  } else if (value.is_array()) {
    for (auto& item : value) redact_in_place(item);
  }
}

std::string csv_quote(const std::string& text) {
  bool needs = text.find_first_of(",\"\r\n") != std::string::npos || (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!needs) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// A copy in which every string, key or value, is valid UTF-8 (bad bytes as \xHH).
Record with_valid_text(const Record& value) {
  if (value.is_string()) return escape_invalid_utf8(value.get_ref<const std::string&>());
  if (value.is_array()) {
    Record out = Record::array();
    for (const auto& item : value) out.push_back(with_valid_text(item));
    return out;
  }
  if (!value.is_object()) return value;
  Record out = Record::object();
  for (const auto& [key, item] : value.items()) out[escape_invalid_utf8(key)] = with_valid_text(item);
  return out;
}

std::string cell_text(const Record& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return escape_invalid_utf8(value.get_ref<const std::string&>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return to_json_text(value);
}

// Error records are flattened into error_code/error_field/error_message columns.
Record flatten_for_table(const Record& record) {
  Record flat = Record::object();
  for (const auto& [key, value] : record.items()) {
    if (key == "error" && value.is_object()) {
      flat["error_code"] = value.value("code", "");
      flat["error_field"] = value.value("field", "");
      flat["error_message"] = value.value("message", "");
    } else {
      flat[key] = value;
    }
  }
  return flat;
}

}  // namespace

bool is_secret_field(std::string_view name) {
  for (const auto& field : kRecordFields) {
    if (field.secret && field.name == name) return true;
  }
  return std::find(std::begin(kOtherSecretNames), std::end(kOtherSecretNames), name) != std::end(kOtherSecretNames);
}

Record redact(const Record& record) {
  Record copy = record;
  redact_in_place(copy);
  return copy;
}

void merge_into(Record& record, const Record& fields) {
  if (!record.is_object()) record = Record::object();
  for (const auto& [key, value] : fields.items()) record[key] = value;
}

Record error_record(const Error& error, const Record& base) {
  Record out = base.is_object() ? base : Record::object();
  out["ok"] = false;
  Record err = Record::object();
  err["code"] = std::string(error_name(error.code()));
  err["message"] = error.what();
  err["field"] = error.field();
  out["error"] = err;
  return out;
}

bool record_error(const Record& record, ErrorCode& code, std::string& message, std::string& field) {
  if (!record.is_object() || record.value("ok", true) || !record.contains("error")) return false;
  const auto& err = record["error"];
  std::string name = err.value("code", "internal");
  code = ErrorCode::internal;
  for (auto it = error_table_begin(); it != error_table_end(); ++it) {
    if (it->name == name) code = it->code;
  }
  message = err.value("message", "a previous step failed");
  field = err.value("field", "");
  return true;
}

std::vector<std::string> csv_columns(const std::vector<Record>& records) {
  std::vector<std::string> seen;
  for (const auto& record : records) {
    const Record flat = flatten_for_table(record);
    for (const auto& [key, value] : flat.items()) {
      if (std::find(seen.begin(), seen.end(), key) == seen.end()) seen.push_back(key);
    }
  }
  std::vector<std::string> columns;
  static const std::vector<std::string> known_order = known_columns();
  for (const auto& known : known_order) {
    if (std::find(seen.begin(), seen.end(), known) != seen.end()) columns.emplace_back(known);
  }
  for (const auto& key : seen) {
    if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
  }
  return columns;
}

std::string csv_header(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ',';
    out += csv_quote(columns[i]);
  }
  return out + "\r\n";
}

std::string csv_row(const Record& record, const std::vector<std::string>& columns) {
  Record flat = flatten_for_table(record);
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ',';
    if (flat.contains(columns[i])) out += csv_quote(cell_text(flat[columns[i]]));
  }
  return out + "\r\n";
}

std::string text_lines(const Record& record) {
  std::string out;
  const Record flat = flatten_for_table(record);
  for (const auto& key : csv_columns({record})) {  // the table's order, as in CSV
    out += fmt::format("{}: {}\n", key, cell_text(flat[key]));
  }
  return out;
}

std::string to_json_text(const Record& record, int indent) {
  // Walking the record only when the strict dump refuses keeps the common case one pass.
  try {
    return record.dump(indent);
  } catch (const nlohmann::json::type_error&) {
    return with_valid_text(record).dump(indent);
  }
}

Record parse_record(std::string_view text, std::string_view source) {
  Record record;
  try {
    record = Record::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number such as 1e999
    throw Error(ErrorCode::bad_input,
                fmt::format("{}: not a JSON record ({}); pipe the output of another espprov step", source, e.what()),
                "in");
  }
  if (!record.is_object()) {
    throw Error(ErrorCode::bad_input, fmt::format("{}: expected one JSON object, got {}", source, record.type_name()),
                "in");
  }
  return record;
}

}  // namespace provision
