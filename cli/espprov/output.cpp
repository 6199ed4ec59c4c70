#include "output.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "command.hpp"
#include "provision/text.hpp"

namespace espprov {
namespace {
namespace output {

enum class Format { json, csv, text };

Format chosen_format() {
  const auto& format = output_options().format;
  if (format == "csv") return Format::csv;
  if (format == "text") return Format::text;
  return Format::json;
}

// A cell as people read it: strings without quotes, null as nothing, anything nested as compact JSON.
std::string cell_text(const provision::Record& value) {
  if (value.is_string()) return provision::escape_invalid_utf8(value.get_ref<const std::string&>());
  if (value.is_null()) return {};
  return provision::to_json_text(value);
}

// Columns are aligned by characters, not bytes (an SSID may be UTF-8).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string padded(const std::string& text, std::size_t width, bool right_aligned) {
  const std::string fill(width - std::min(width, display_width(text)), ' ');
  return right_aligned ? fill + text : text + fill;
}

// The error object as columns (error_code, error_field, error_message), as csv_columns names them.
provision::Record flattened(const provision::Record& record) {
  provision::Record flat = provision::Record::object();
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

// The columns of list items in the order the items name them (a table reads as the list was written).
std::vector<std::string> columns_in_order(const std::vector<provision::Record>& rows) {
  std::vector<std::string> columns;
  for (const auto& row : rows) {
    const auto flat = flattened(row);  // kept: items() refers to it while the loop runs
    for (const auto& [key, value] : flat.items()) {
      if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
    }
  }
  return columns;
}

std::string csv_text(const std::vector<provision::Record>& rows, std::vector<std::string> columns = {}) {
  if (columns.empty()) columns = provision::csv_columns(rows);
  std::string out = csv_header_wanted() ? provision::csv_header(columns) : std::string();
  for (const auto& row : rows) out += provision::csv_row(row, columns);
  return out;
}

std::string table_text(const std::vector<provision::Record>& rows, const std::vector<std::string>& columns) {
  std::vector<std::size_t> widths;
  for (const auto& column : columns) widths.push_back(display_width(column));
  // Numbers are right-aligned, so their digits line up as in a spreadsheet.
  std::vector<bool> numeric(columns.size(), !rows.empty());
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    const auto flat = flattened(row);
    auto& line = cells.emplace_back();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const bool present = flat.contains(columns[i]) && !flat[columns[i]].is_null();
      line.push_back(present ? cell_text(flat[columns[i]]) : std::string());
      if (present && !flat[columns[i]].is_number()) numeric[i] = false;
      widths[i] = std::max(widths[i], display_width(line.back()));
    }
  }
  auto write_line = [&](const std::vector<std::string>& line) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
      // The last column is not padded unless right-aligned, so lines carry no trailing blanks.
      const bool last = i + 1 == line.size();
      out += last && !numeric[i] ? line[i] : padded(line[i], widths[i], numeric[i]) + (last ? "" : "  ");
    }
    return out + '\n';
  };
  std::string out = write_line(columns);
  for (const auto& line : cells) out += write_line(line);
  return out;
}

void print(const std::string& text) {
  std::cout << text;
  std::cout.flush();
}

provision::Record with_ok_first(provision::Record record) {
  if (record.contains("ok")) return record;
  provision::Record ordered = provision::Record::object();
  ordered["ok"] = true;
  provision::merge_into(ordered, record);
  return ordered;
}

// The record's own fields for a listing: everything but its lists and nested objects (the error excepted).
provision::Record scalar_fields(const provision::Record& record, const std::string& list_field) {
  provision::Record scalars = provision::Record::object();
  for (const auto& [key, value] : record.items()) {
    if (key == list_field || value.is_array() || (value.is_object() && key != "error")) continue;
    scalars[key] = value;
  }
  return scalars;
}

}  // namespace output
using namespace output;
}  // namespace

bool csv_header_wanted() {
  const auto& policy = output_options().csv_header;
  if (policy == "always") return true;
  if (policy == "never") return false;
  struct stat st {};
  if (::fstat(STDOUT_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) return true;
  // Opened with >> the position is 0 until the first write; the size tells. Opened without O_APPEND at an offset
  // (a script's exec 1<>file), the position does.
  const off_t position = ::lseek(STDOUT_FILENO, 0, SEEK_CUR);
  return st.st_size == 0 && position <= 0;
}

std::string text_table(const std::vector<provision::Record>& rows) {
  return table_text(rows, columns_in_order(rows));
}

void emit(provision::Record record) {
  const auto shown = shown_record(with_ok_first(std::move(record)));
  switch (chosen_format()) {
    case Format::csv:
      print(csv_text({shown}));
      break;
    case Format::text:
      print(provision::text_lines(shown));
      break;
    case Format::json:
      print(provision::to_json_text(shown) + '\n');
      break;
  }
}

void emit_many(const std::vector<provision::Record>& records, const std::vector<std::string>& columns_when_empty) {
  std::vector<provision::Record> shown;
  shown.reserve(records.size());
  for (const auto& r : records) shown.push_back(shown_record(r));
  std::vector<std::string> columns = shown.empty() ? columns_when_empty : provision::csv_columns(shown);
  switch (chosen_format()) {
    case Format::csv:
      print(csv_text(shown, columns));
      break;
    case Format::text:
      if (!columns.empty()) print(table_text(shown, columns));
      break;
    case Format::json: {
      std::string out;
      for (const auto& r : shown) out += provision::to_json_text(r) + '\n';
      print(out);
      break;
    }
  }
}

void emit_listing(provision::Record record, const std::vector<provision::Record>& items,
                  const std::string& list_field) {
  const auto shown = shown_record(with_ok_first(std::move(record)));
  const Format format = chosen_format();
  if (format == Format::json) return print(provision::to_json_text(shown) + '\n');
  const auto scalars = scalar_fields(shown, list_field);
  std::vector<provision::Record> shown_items;
  for (const auto& item : items) shown_items.push_back(shown_record(item));
  if (format == Format::text) {
    std::string out = provision::text_lines(scalars) + '\n';
    out += shown_items.empty() ? fmt::format("(no {})\n", list_field) : text_table(shown_items);
    return print(out);
  }
  // The record's fields first (in the documented order), then the items' own, in their order.
  auto columns = provision::csv_columns({scalars});
  for (const auto& column : columns_in_order(shown_items)) {
    if (std::find(columns.begin(), columns.end(), column) == columns.end()) columns.push_back(column);
  }
  std::vector<provision::Record> rows;
  for (const auto& item : shown_items) {
    provision::Record row = scalars;
    provision::merge_into(row, item);
    rows.push_back(std::move(row));
  }
  print(csv_text(rows.empty() ? std::vector<provision::Record>{scalars} : rows, columns));
}

void RowStream::write(const provision::Record& shown) {
  switch (chosen_format()) {
    case Format::csv:
      if (!header_done_ && csv_header_wanted()) print(provision::csv_header(columns_));
      header_done_ = true;
      print(provision::csv_row(flattened(shown), columns_));
      break;
    case Format::text:
      print(provision::text_lines(shown) + '\n');
      break;
    case Format::json:
      print(provision::to_json_text(shown) + '\n');
      break;
  }
}

void emit_error(const provision::Record& record, provision::ErrorCode code, const std::string& message) {
  report_event("error", provision::escape_invalid_utf8(message),
               provision::Record{{"code", std::string(provision::error_name(code))}});
  const auto shown = shown_record(record);
  switch (chosen_format()) {
    case Format::csv:
      print(csv_text({shown}));
      break;
    case Format::json:
      print(provision::to_json_text(shown) + '\n');
      break;
    case Format::text: {
      const auto error = shown.value("error", provision::Record::object());
      const std::string name = error.value("code", std::string(provision::error_name(code)));
      std::string out = fmt::format("error: {} (exit {})\n", name, provision::exit_code_of(code));
      if (!error.value("field", "").empty()) out += fmt::format("field: {}\n", error.value("field", ""));
      out += fmt::format("message: {}\n", cell_text(error.value("message", provision::Record(message))));
      provision::Record rest = provision::Record::object();
      for (const auto& [key, value] : shown.items()) {
        if (key != "ok" && key != "error") rest[key] = value;
      }
      if (!rest.empty()) out += provision::text_lines(rest);
      print(out);
      break;
    }
  }
}

}  // namespace espprov
