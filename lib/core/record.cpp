#include "provision/record.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>

#include "provision/text.hpp"

namespace provision {
namespace {

// Values under these names are secrets wherever they appear in a record.
constexpr std::array<std::string_view, 8> kSecretFields{
    "psk", "wifi_password", "password", "device_key", "private_key", "nvs_keys", "token", "pop",
};

// CSV column order for spreadsheets: stable, documented in README.md. Unknown fields follow in first-seen order.
constexpr std::array<std::string_view, 47> kKnownColumns{
    "ok",          "port",          "chip",          "mac",           "mac_hex",       "uuid",
    "uuid_scheme", "psk",           "features",      "flash_size",    "certificate",   "ca_cert",
    "device_key",  "expiry",        "cert_serial",   "cert_fingerprint", "nvs_namespace", "nvs_offset",
    "nvs_size",    "nvs_version",   "nvs_encrypted", "nvs_md5",       "nvs_file",      "offset",
    "size",        "md5",           "compressed",    "written",       "skipped",       "verified",
    "bytes_on_wire", "resends",     "wifi_ssid",   "wifi_password", "ip",            "rssi",          "fw_version",
    "resumed",     "attempts",      "seconds",       "timings",       "failed_step",   "error_code",
    "error_field", "error_message", "ledger",        "step",
};

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
  return std::find(kSecretFields.begin(), kSecretFields.end(), name) != kSecretFields.end();
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
  for (auto known : kKnownColumns) {
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
  for (const auto& [key, value] : flat.items()) {
    out += fmt::format("{}: {}\n", key, cell_text(value));
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
