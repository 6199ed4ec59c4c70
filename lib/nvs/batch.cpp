// Manufacturing batch in the model of ESP-IDF's mfg_gen: key definitions + one values row per device.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "provision/error.hpp"
#include "provision/nvs_csv.hpp"

namespace provision::nvs {
namespace {

struct Definition {
  bool is_namespace = false;
  std::string name;  // namespace or key
  std::string type;  // data | file
  std::string encoding;
  std::string default_value;
  std::optional<std::size_t> column;  // in the values CSV
};

[[noreturn]] void definitions_error(std::size_t line, const std::string& message, const std::string& field) {
  throw Error(ErrorCode::bad_input, fmt::format("definitions line {}: {}", line, message), field);
}

std::vector<Definition> parse_definitions(std::string_view text) {
  const auto rows = parse_csv(text);
  if (rows.empty()) definitions_error(1, "empty; the first row must be key,type,encoding,value", "definitions");
  const auto& header = rows.front().fields;
  auto column = [&](std::string_view name) -> std::optional<std::size_t> {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? std::nullopt : std::optional<std::size_t>(it - header.begin());
  };
  const auto key = column("key"), type = column("type"), encoding = column("encoding"), value = column("value");
  if (!key || !type || !encoding) {
    definitions_error(rows.front().line, "the header must name key,type,encoding (and optionally value)",
                      "definitions");
  }
  auto field = [](const CsvRow& row, std::optional<std::size_t> index) {
    return index && *index < row.fields.size() ? row.fields[*index] : std::string();
  };
  std::vector<Definition> definitions;
  bool have_namespace = false;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    Definition definition;
    definition.name = field(rows[r], key);
    definition.type = field(rows[r], type);
    definition.encoding = field(rows[r], encoding);
    definition.default_value = field(rows[r], value);
    definition.is_namespace = definition.type == "namespace";
    if (!definition.is_namespace && definition.type != "data" && definition.type != "file") {
      definitions_error(rows[r].line, fmt::format("key '{}': unknown type '{}'; use namespace, data or file",
                                                  definition.name, definition.type),
                        definition.name);
    }
    if (!definition.is_namespace && !have_namespace) {
      definitions_error(rows[r].line, fmt::format("key '{}' comes before any namespace row", definition.name),
                        definition.name);
    }
    have_namespace = have_namespace || definition.is_namespace;
    definitions.push_back(std::move(definition));
  }
  return definitions;
}

// Maps each values column to a definition; every column but the id must name a defined key.
void bind_columns(std::vector<Definition>& definitions, const CsvRow& header, std::string_view id_column) {
  for (std::size_t c = 0; c < header.fields.size(); ++c) {
    const auto& name = header.fields[c];
    if (!id_column.empty() && name == id_column) continue;
    if (std::count(header.fields.begin(), header.fields.end(), name) > 1) {
      throw Error(ErrorCode::bad_input, fmt::format("values header: column '{}' appears twice", name), name);
    }
    auto it = std::find_if(definitions.begin(), definitions.end(),
                           [&](const Definition& d) { return !d.is_namespace && d.name == name; });
    if (it == definitions.end()) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("values header: column '{}' is not a key of the definitions; add a row for it there "
                              "or remove the column",
                              name),
                  name);
    }
    it->column = c;
  }
  for (const auto& definition : definitions) {
    if (!definition.is_namespace && !definition.column && definition.default_value.empty()) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("key '{}' has no column in the values CSV and no value in the definitions", definition.name),
                  definition.name);
    }
  }
}

bool is_safe_id(std::string_view id) {
  return !id.empty() && id != "." && id != ".." && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':';
  });
}

}  // namespace

BatchPlan plan_batch(std::string_view definitions_csv, std::string_view values_csv, std::string_view id_column,
                     const FileLoader& load_file) {
  auto definitions = parse_definitions(definitions_csv);
  const auto rows = parse_csv(values_csv);
  if (rows.empty()) throw Error(ErrorCode::bad_input, "values: empty; the first row names the columns", "values");
  const CsvRow& header = rows.front();
  std::optional<std::size_t> id_index;
  if (!id_column.empty()) {
    auto it = std::find(header.fields.begin(), header.fields.end(), id_column);
    if (it == header.fields.end()) {
      throw Error(ErrorCode::bad_input, fmt::format("values header has no id column '{}'", id_column), "id_column");
    }
    id_index = static_cast<std::size_t>(it - header.fields.begin());
  }
  bind_columns(definitions, header, id_column);

  BatchPlan plan;
  std::map<std::string, std::size_t> seen_ids;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    const std::string id = id_index ? (*id_index < row.fields.size() ? row.fields[*id_index] : "") : std::to_string(r);
    auto fail = [&](std::string column, std::string message, ErrorCode code = ErrorCode::bad_input) {
      plan.failures.push_back(BatchFailure{id, row.line, std::move(column), std::move(message), code});
    };
    const std::size_t failures_before = plan.failures.size();
    if (row.fields.size() != header.fields.size()) {
      fail("", fmt::format("values line {}: {} values but the header has {} columns", row.line, row.fields.size(),
                           header.fields.size()));
      continue;
    }
    if (!is_safe_id(id)) {
      fail(std::string(id_column), fmt::format("values line {}: id '{}' cannot name a file; use letters, digits and "
                                               "- _ . :",
                                               row.line, id));
    } else if (auto [it, inserted] = seen_ids.emplace(id, row.line); !inserted) {
      fail(std::string(id_column), fmt::format("values line {}: id '{}' repeats line {}", row.line, id, it->second));
    }
    BatchDevice device{id, row.line, {}};
    std::string current_namespace;
    for (const auto& definition : definitions) {
      if (definition.is_namespace) {
        current_namespace = definition.name;
        device.content.declare_namespace(definition.name);
        continue;
      }
      const std::string& text = definition.column ? row.fields[*definition.column] : definition.default_value;
      try {
        Value value;
        if (definition.type == "file") {
          const auto bytes = load_file(text);
          value = decode_value(definition.encoding, std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                                                     bytes.size()),
                               definition.name);
        } else {
          value = decode_value(definition.encoding, text, definition.name);
        }
        device.content.add(current_namespace, definition.name, std::move(value));
      } catch (const Error& error) {
        fail(definition.name, fmt::format("values line {}, column '{}': {}", row.line, definition.name, error.what()),
             error.code());
      }
    }
    if (plan.failures.size() == failures_before) plan.devices.push_back(std::move(device));
  }
  return plan;
}

}  // namespace provision::nvs
