// espprov nvs-build: build an NVS partition image from nvs_partition_gen's CSV or from the device record.
#include <fmt/format.h>

#include "command.hpp"
#include "record_stream.hpp"
#include "nvs_common.hpp"
#include "provision/error.hpp"
#include "provision/files.hpp"

namespace {
namespace cmd_nvs_build {

struct NvsBuildOptions {
  std::string in;
  std::string csv;
  std::string out;
  std::string size = "0x10000";
  int version = 2;
  std::string namespace_name = "provision";
  std::string mqtt_url;  // --mqtt-url: sets the record's mqtt_url (credentials key mqtt_url)
  espprov::NvsKeyOptions keys;
};

// --out for one record: {FIELD} is replaced by the record's field (creds-{mac_hex}.bin), so that many records
// (NDJSON on --in) give one file per board. A field the record lacks is a bad_input error for that record.
std::string output_path(const std::string& pattern, const provision::Record& record) {
  std::string path;
  for (std::size_t at = 0; at < pattern.size();) {
    const std::size_t open = pattern.find('{', at);
    const std::size_t close = open == std::string::npos ? open : pattern.find('}', open);
    if (close == std::string::npos) {
      path += pattern.substr(at);
      break;
    }
    const std::string field = pattern.substr(open + 1, close - open - 1);
    if (!record.contains(field) || !(record[field].is_string() || record[field].is_number()) ||
        provision::is_secret_field(field)) {
      throw provision::Error(provision::ErrorCode::bad_input,
                             fmt::format("out: '{}' names {{{}}}, which the record has no (non-secret) value for; use "
                                         "a field every record has, such as {{mac_hex}} or {{uuid}}",
                                         pattern, field),
                             "out");
    }
    const auto& value = record[field];
    path += pattern.substr(at, open - at) + (value.is_string() ? value.get<std::string>() : value.dump());
    at = close + 1;
  }
  if (path.find('/') != std::string::npos && pattern.find('/') == std::string::npos) {
    throw provision::Error(provision::ErrorCode::bad_input,
                           fmt::format("out: '{}' becomes '{}': a field value may not add a folder", pattern, path),
                           "out");
  }
  return path;
}

provision::Record build_one(const NvsBuildOptions& options, provision::Record record) {
  using provision::Error;
  using provision::ErrorCode;
  namespace nvs = provision::nvs;
  if (!options.mqtt_url.empty()) {
    if (!options.csv.empty()) {
      throw Error(ErrorCode::usage, "mqtt-url: applies to a record (--in), not to --csv (add the key to the CSV)",
                  "mqtt-url");
    }
    record["mqtt_url"] = options.mqtt_url;  // checked as the record's field when the content is made
  }
  nvs::BuildOptions build;
  build.size_bytes = nvs::parse_size(options.size, "size");
  build.version = espprov::parse_nvs_version(options.version);
  nvs::Content content;
  if (!options.csv.empty()) {
    content = nvs::content_from_csv(provision::read_file_text(options.csv),
                                    espprov::file_loader_relative_to(options.csv));
  } else {
    content = nvs::credentials_content(record, options.namespace_name);
  }
  const std::string out = options.csv.empty() ? output_path(options.out, record) : options.out;
  // The plain image is built first and the keys resolved after, so that content that does not fit never leaves a
  // generated key file behind; encrypting afterwards gives the same bytes as building encrypted.
  auto image = nvs::build_image(content, build);
  build.keys = espprov::resolve_nvs_keys(options.keys);
  if (build.keys) nvs::encrypt_image(image, *build.keys);
  provision::write_file_atomic(out, image, provision::FileMode::secret);

  provision::Record fields = provision::Record::object();
  if (options.csv.empty()) fields["nvs_namespace"] = options.namespace_name;
  fields["nvs_size"] = espprov::size_hex(image.size());
  fields["nvs_version"] = options.version;
  fields["nvs_encrypted"] = build.keys.has_value();
  fields["nvs_md5"] = espprov::md5_hex(image);
  fields["nvs_file"] = out;
  if (!options.keys.generate_keys_file.empty()) fields["nvs_keys_file"] = options.keys.generate_keys_file;
  provision::merge_into(record, fields);
  return record;
}

void run(const NvsBuildOptions& options) {
  if (options.csv.empty() == options.in.empty()) {
    throw provision::Error(provision::ErrorCode::usage,
                           "give the content either as --csv FILE or as a device record with --in FILE", "in");
  }
  const auto records = espprov::read_input_records(options.in);
  if (records.size() > 1) {
    // Many boards: one image each, so --out must tell their files apart; one generated key file would be
    // overwritten by the next board's.
    if (options.out.find('{') == std::string::npos) {
      throw provision::Error(provision::ErrorCode::usage,
                             fmt::format("out: --in has {} records but --out '{}' names one file; name one per board "
                                         "with a field, e.g. --out 'creds-{{mac_hex}}.bin'",
                                         records.size(), options.out),
                             "out");
    }
    espprov::require_one_record_for(records, !options.keys.generate_keys_file.empty(), "--generate-keys");
  }
  espprov::for_each_record(records, [&](provision::Record record) { return build_one(options, std::move(record)); });
}

void setup(CLI::App& app) {
  auto options = std::make_shared<NvsBuildOptions>();
  auto* sub = app.add_subcommand("nvs-build", "Build an NVS partition image (credentials record or CSV)");
  sub->footer(
      "From the device record (firmware/PROTOCOL.md section 2: uuid, psk, mac, certificate, device_key, ca_cert,\n"
      "wifi_ssid, wifi_password as strings in namespace 'provision'):\n"
      "  espprov mac --mac A0B1C2D3E4F5 | espprov uuid --in - | espprov psk --in - \\\n"
      "    | espprov nvs-build --in - --out creds.bin --size 0x10000\n"
      "From a CSV in Espressif's nvs_partition_gen format (key,type,encoding,value; file paths relative to it);\n"
      "the image is byte-identical to the generator's:\n"
      "  espprov nvs-build --csv nvs.csv --size 0x6000 --version 2 --out nvs.bin\n"
      "Encrypted (NVS encryption, XTS-AES-256):\n"
      "  espprov nvs-build --csv nvs.csv --size 0x6000 --out nvs.bin --encrypt --keys nvs_keys.bin\n"
      "  espprov nvs-build --in record.json --out creds.bin --generate-keys nvs_keys.bin\n"
      "The image is written 0600 (it holds secrets) via a temporary file; nothing is written on error.\n"
      "Many boards (one record per line on --in): --out names each file with a record field in braces:\n"
      "  printf '{\"mac\":\"A0:B1:C2:D3:E4:F5\"}\\n{\"mac\":\"A0:B1:C2:D3:E4:F6\"}\\n' | espprov uuid --in - \\\n"
      "    | espprov psk --in - | espprov nvs-build --in - --out 'creds-{uuid}.bin'");
  sub->add_option("--csv", options->csv, "nvs_partition_gen CSV to build from");
  sub->add_option("--out", options->out, "Image file to write; {FIELD} takes a record's field (creds-{mac_hex}.bin)")
      ->required();
  sub->add_option("--size", options->size, "Partition size: hex (0x6000), bytes or 24K; multiple of 4096, >= 0x3000")
      ->capture_default_str();
  sub->add_option("--version", options->version, "NVS format: 2 (multi-page blobs, ESP-IDF >= 4.0) or 1")
      ->capture_default_str();
  sub->add_option("--namespace", options->namespace_name, "Namespace for the record's credentials (1..15 chars)")
      ->capture_default_str();
  sub->add_option("--mqtt-url", options->mqtt_url,
                  "MQTT broker for the device, mqtts://HOST[:PORT] (key mqtt_url, PROTOCOL.md section 8)");
  espprov::add_nvs_key_options(*sub, options->keys);
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub);
  sub->callback([options] { run(*options); });
}

const espprov::CommandRegistrar registrar{50, setup};

}  // namespace cmd_nvs_build
}  // namespace
