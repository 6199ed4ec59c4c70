#include "provision/device_record.hpp"

#include <fmt/format.h>

namespace provision {
namespace {

std::string_view kind_name(FieldKind kind) {
  switch (kind) {
    case FieldKind::boolean: return "true or false";
    case FieldKind::integer: return "an integer";
    case FieldKind::number: return "a number";
    case FieldKind::text: return "a string";
    case FieldKind::text_list: return "a list of strings";
    case FieldKind::object: return "an object";
    case FieldKind::error: return "an object {code, message, field}";
  }
  return "?";
}

bool has_kind(const Record& value, FieldKind kind) {
  switch (kind) {
    case FieldKind::boolean: return value.is_boolean();
    case FieldKind::integer: return value.is_number_integer();
    case FieldKind::number: return value.is_number();
    case FieldKind::text: return value.is_string();
    case FieldKind::object: return value.is_object();
    case FieldKind::text_list:
      if (!value.is_array()) return false;
      for (const auto& item : value) {
        if (!item.is_string()) return false;
      }
      return true;
    case FieldKind::error:
      if (!value.is_object()) return false;
      for (const char* part : {"code", "message", "field"}) {
        if (value.contains(part) && !value[part].is_string()) return false;
      }
      return true;
  }
  return false;
}

[[noreturn]] void wrong_kind(std::string_view name, FieldKind kind, const Record& value) {
  throw Error(ErrorCode::bad_input,
              fmt::format("{}: expected {}, got {} {}; the record was not made by an espprov step of this version",
                          name, kind_name(kind), value.type_name(), to_json_text(value).substr(0, 80)),
              std::string(name));
}

template <typename T>
void read_value(const Record& value, std::optional<T>& member) {
  member = value.get<T>();
}

void read_value(const Record& value, std::optional<Record>& member) { member = value; }

void read_value(const Record& value, std::optional<RecordError>& member) {
  member = RecordError{value.value("code", ""), value.value("message", ""), value.value("field", "")};
}

template <typename T>
void write_value(Record& out, const char* name, const std::optional<T>& member) {
  if (member) out[name] = *member;
}

void write_value(Record& out, const char* name, const std::optional<RecordError>& member) {
  if (member) out[name] = Record{{"code", member->code}, {"message", member->message}, {"field", member->field}};
}

}  // namespace

bool set_by_step(const RecordField& field, std::string_view step) {
  if (field.set_by == "every step") return true;
  std::string_view rest = field.set_by;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    if (name == step) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

std::vector<std::string> step_csv_columns(std::string_view step) {
  std::vector<std::string> columns;
  for (const auto& field : kRecordFields) {
    if (!set_by_step(field, step)) continue;
    if (field.kind == FieldKind::error) {
      columns.insert(columns.end(), {"error_code", "error_field", "error_message"});
    } else {
      columns.emplace_back(field.name);
    }
  }
  return columns;
}

void DeviceRecord::merge(const Record& fields) {
  if (!fields.is_object()) return;
  for (const auto& [key, value] : fields.items()) {
    bool known = false;
#define PROVISION_RECORD_READ(name, kind, secret, set_by, meaning) \
  if (!known && key == #name) {                                    \
    known = true;                                                  \
    if (value.is_null()) {                                         \
      name.reset();                                                \
    } else {                                                       \
      if (!has_kind(value, FieldKind::kind)) wrong_kind(#name, FieldKind::kind, value); \
      read_value(value, name);                                     \
    }                                                              \
  }
    PROVISION_DEVICE_RECORD_FIELDS(PROVISION_RECORD_READ)
#undef PROVISION_RECORD_READ
    if (!known) other[key] = value;
  }
}

Record to_json(const DeviceRecord& record) {
  Record out = Record::object();
#define PROVISION_RECORD_WRITE(name, kind, secret, set_by, meaning) write_value(out, #name, record.name);
  PROVISION_DEVICE_RECORD_FIELDS(PROVISION_RECORD_WRITE)
#undef PROVISION_RECORD_WRITE
  for (const auto& [key, value] : record.other.items()) out[key] = value;
  return out;
}

DeviceRecord device_record_from_json(const Record& json) {
  DeviceRecord record;
  record.merge(json);
  return record;
}

}  // namespace provision
