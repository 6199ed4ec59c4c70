// RFC 4180 CSV as nvs_partition_gen reads it (Python's csv module after dropping '#' lines).
#include <fmt/format.h>

#include "provision/error.hpp"
#include "provision/nvs_csv.hpp"

namespace provision::nvs {
namespace {

struct Line {
  std::size_t number;
  std::string_view text;  // without the line end
  bool ends_with_newline;
};

// Universal newlines: CRLF and lone CR become LF (Python's text mode), so quoted CRLF is stored as LF.
std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t number = 1;
  while (!text.empty()) {
    const auto end = text.find('\n');
    if (end == std::string_view::npos) {
      lines.push_back({number, text, false});
      break;
    }
    lines.push_back({number, text.substr(0, end), true});
    text.remove_prefix(end + 1);
    ++number;
  }
  return lines;
}

// Parses records from the kept lines. A quoted field may continue on the next kept line.
class RecordParser {
 public:
  std::vector<CsvRow> parse(const std::vector<Line>& lines) {
    for (const auto& line : lines) {
      if (!in_quotes_) {
        row_ = CsvRow{line.number, {}};
        field_.clear();
        field_started_ = false;
      }
      consume(line.text);
      if (in_quotes_) {
        if (line.ends_with_newline) field_.push_back('\n');
        continue;
      }
      finish_row();
    }
    if (in_quotes_) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("csv line {}: a quoted value is never closed; end it with '\"' (write a quote inside a "
                              "quoted value as \"\")",
                              row_.line),
                  "csv");
    }
    return std::move(rows_);
  }

 private:
  void consume(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (in_quotes_) {
        if (c != '"') {
          field_.push_back(c);
        } else if (i + 1 < text.size() && text[i + 1] == '"') {
          field_.push_back('"');
          ++i;
        } else {
          in_quotes_ = false;  // text after the closing quote is kept as is, like Python's csv module
        }
      } else if (c == ',') {
        row_.fields.push_back(std::move(field_));
        field_.clear();
        field_started_ = false;
      } else if (c == '"' && !field_started_) {
        in_quotes_ = true;
        field_started_ = true;
      } else {
        field_.push_back(c);
        field_started_ = true;
      }
    }
  }

  void finish_row() {
    const bool blank = row_.fields.empty() && field_.empty() && !field_started_;
    if (blank) return;  // Python's csv.DictReader skips empty rows
    row_.fields.push_back(std::move(field_));
    field_.clear();
    rows_.push_back(std::move(row_));
  }

  std::vector<CsvRow> rows_;
  CsvRow row_;
  std::string field_;
  bool field_started_ = false;
  bool in_quotes_ = false;
};

}  // namespace

std::vector<CsvRow> parse_csv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const std::string normalized = normalize_newlines(text);
  std::vector<Line> kept;
  for (const auto& line : split_lines(normalized)) {
    // The generator drops every physical line starting with '#' before CSV parsing, even inside quotes.
    if (!line.text.empty() && line.text.front() == '#') continue;
    kept.push_back(line);
  }
  return RecordParser{}.parse(kept);
}

}  // namespace provision::nvs
