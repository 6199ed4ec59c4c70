// The credentials image: the device record's identity and credentials as NVS strings (firmware/PROTOCOL.md §2).
#include <fmt/format.h>

#include <array>

#include "provision/error.hpp"
#include "provision/identity.hpp"
#include "provision/mqtt.hpp"
#include "provision/nvs.hpp"
#include "provision/wifi_settings.hpp"

namespace provision::nvs {
namespace {

// A record field is checked as strictly as the same value given on a command line (a file or a pipe is no more
// trusted than a flag), and written in its normal form.
using Normalize = std::string (*)(std::string_view);

std::string as_is(std::string_view text) { return std::string(text); }
std::string uuid_value(std::string_view text) { return normalize_uuid(text); }
std::string psk_value(std::string_view text) { return normalize_psk(text); }
std::string mac_value(std::string_view text) {
  auto mac = parse_mac(text);
  require_usable_mac(mac, "the record");
  return mac_colon(mac);
}
std::string ssid_value(std::string_view text) {
  wifi::validate_ssid(text);
  return std::string(text);
}
std::string password_value(std::string_view text) {
  wifi::validate_password(text, text.empty());
  return std::string(text);
}

std::string mqtt_url_value(std::string_view text) { return mqtt::parse_broker_url(text, "mqtt_url").text; }

struct SchemaRow {
  std::string_view key;            // NVS key the firmware reads
  std::array<std::string_view, 2> record_fields;  // record fields, first present wins
  bool required;
  Normalize normalize;
};

// The contract with the firmware: these keys, in this order, all NUL-terminated strings.
// mqtt_url comes last, so an image without it is byte for byte what it was before the key existed.
constexpr std::array<SchemaRow, 9> kCredentialsSchema{{
    {"uuid", {"uuid", ""}, true, uuid_value},
    {"psk", {"psk", ""}, true, psk_value},
    {"mac", {"mac", ""}, true, mac_value},
    {"device_cert", {"certificate", "device_cert"}, false, as_is},
    {"device_key", {"device_key", ""}, false, as_is},
    {"ca_cert", {"ca_cert", ""}, false, as_is},
    {"wifi_ssid", {"wifi_ssid", ""}, false, ssid_value},
    {"wifi_password", {"wifi_password", ""}, false, password_value},
    {"mqtt_url", {"mqtt_url", ""}, false, mqtt_url_value},
}};

const Record* find_field(const Record& record, const SchemaRow& row) {
  for (auto name : row.record_fields) {
    if (name.empty()) continue;
    auto it = record.find(std::string(name));
    if (it != record.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

std::string checked_value(const SchemaRow& row, const std::string& text) {
  try {
    return row.normalize(text);
  } catch (const Error& error) {
    // The validators name the flag's field; here the value came from the record's field.
    throw Error(error.code(), fmt::format("record field '{}': {}", row.record_fields[0], error.what()),
                std::string(row.record_fields[0]));
  }
}

}  // namespace

Content credentials_content(const Record& record, std::string_view namespace_name) {
  if (!record.is_object()) {
    throw Error(ErrorCode::bad_input, "record: expected a JSON object (the device record of earlier steps)", "record");
  }
  Content content;
  content.declare_namespace(namespace_name);
  for (const auto& row : kCredentialsSchema) {
    const Record* value = find_field(record, row);
    if (value == nullptr) {
      if (!row.required) continue;
      throw Error(ErrorCode::bad_input,
                  fmt::format("{}: the record has no '{}', which the credentials image requires (uuid, psk and mac); "
                              "run the mac, uuid and psk steps first",
                              row.key, row.record_fields[0]),
                  std::string(row.record_fields[0]));
    }
    if (!value->is_string()) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("{}: the record's value is JSON {}, expected a string", row.record_fields[0],
                              value->type_name()),
                  std::string(row.record_fields[0]));
    }
    const std::string text = checked_value(row, value->get_ref<const std::string&>());
    if (text.size() + 1 > kMaxStringBytesV2) {
      throw Error(ErrorCode::nvs_limit,
                  fmt::format("{}: {} bytes with the NUL; an NVS string holds at most {}", row.key, text.size() + 1,
                              kMaxStringBytesV2),
                  std::string(row.record_fields[0]));
    }
    content.add(namespace_name, row.key, Value::string(text));
  }
  return content;
}

std::vector<std::uint8_t> build_credentials_image(const Record& record, const CredentialsOptions& options) {
  BuildOptions build;
  build.size_bytes = options.size_bytes;
  build.version = options.version;
  build.keys = options.keys;
  return build_image(credentials_content(record, options.namespace_name), build);
}

}  // namespace provision::nvs
