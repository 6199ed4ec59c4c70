// espprov nvs-dump: list an NVS image's namespaces and entries, check every CRC, give a verdict.
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

#include "command.hpp"
#include "nvs_common.hpp"
#include "provision/error.hpp"
#include "provision/files.hpp"
#include "provision/hex.hpp"

namespace {
namespace cmd_nvs_dump {

namespace nvs = provision::nvs;
using provision::Record;

struct NvsDumpOptions {
  std::string file;
  std::string keys_file;
  bool show_secrets = false;
};

Record value_json(const nvs::Value& value, bool hide) {
  if (hide) return "***";
  switch (value.type) {
    case nvs::ValueType::string: return value.as_string();
    case nvs::ValueType::blob: return provision::to_hex(value.bytes);
    case nvs::ValueType::i8:
    case nvs::ValueType::i16:
    case nvs::ValueType::i32:
    case nvs::ValueType::i64: return value.as_signed();
    default: return value.as_unsigned();
  }
}

Record namespaces_json(const nvs::Content& content, bool show_secrets) {
  Record namespaces = Record::array();
  for (const auto& name : content.namespaces()) {
    Record entries = Record::array();
    for (const auto& element : content.elements()) {
      if (element.kind != nvs::Element::Kind::item || element.namespace_name != name) continue;
      Record entry = Record::object();
      entry["key"] = element.key;
      entry["type"] = std::string(nvs::to_string(element.value.type));
      if (!nvs::is_integer(element.value.type)) entry["size"] = element.value.bytes.size();
      entry["value"] = value_json(element.value, !show_secrets && provision::is_secret_field(element.key));
      entries.push_back(entry);
    }
    namespaces.push_back(Record{{"name", name}, {"entries", entries}});
  }
  return namespaces;
}

Record pages_json(const std::vector<nvs::PageSummary>& pages) {
  Record out = Record::array();
  for (const auto& page : pages) {
    out.push_back(Record{{"index", page.index}, {"state", page.state}, {"sequence", page.sequence},
                         {"version", page.version}, {"written", page.written_entries},
                         {"erased", page.erased_entries}});
  }
  return out;
}

Record problems_json(const std::vector<nvs::Problem>& problems) {
  Record out = Record::array();
  for (const auto& problem : problems) {
    Record item = Record{{"kind", problem.kind}, {"page", problem.page}};
    if (problem.entry) item["entry"] = *problem.entry;
    item["message"] = problem.message;
    out.push_back(item);
  }
  return out;
}

// The entries as table rows (csv, text): one per key, its namespace named on the row.
std::vector<Record> entry_rows(const Record& namespaces) {
  std::vector<Record> rows;
  for (const auto& space : namespaces) {
    for (const auto& entry : space["entries"]) {
      Record row = Record{{"namespace", space["name"]}};
      provision::merge_into(row, entry);
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

void run(const NvsDumpOptions& options) {
  const auto image = provision::read_file_bytes(options.file);
  std::optional<nvs::XtsKeys> keys;
  if (!options.keys_file.empty()) keys = nvs::parse_key_file(provision::read_file_bytes(options.keys_file));
  const auto report = nvs::read_image(image, keys);
  Record record = Record::object();
  record["nvs_file"] = options.file;
  record["nvs_size"] = espprov::size_hex(image.size());
  record["nvs_md5"] = espprov::md5_hex(image);
  record["nvs_encrypted"] = keys.has_value();
  record["valid"] = report.valid();
  record["namespaces"] = namespaces_json(report.content, options.show_secrets);
  record["pages"] = pages_json(report.pages);
  record["problems"] = problems_json(report.problems);
  const auto rows = entry_rows(record["namespaces"]);
  if (report.valid()) {
    espprov::emit_listing(record, rows, "entries");
    return;
  }
  std::string summary = fmt::format("{}: {} problem(s); first: {}", options.file, report.problems.size(),
                                    report.problems.front().message);
  if (!keys) summary += " (if the image is encrypted, pass --keys)";
  const provision::Error error(provision::ErrorCode::nvs_invalid, summary, "nvs_file");
  Record failed = Record{{"ok", false}};
  provision::merge_into(failed, provision::error_record(error, record));
  espprov::emit_listing(failed, rows, "entries");
  std::cerr << "espprov: error: " << summary << '\n';
  std::exit(provision::exit_code_of(error.code()));  // the listing is printed; the exit code carries the verdict
}

void setup(CLI::App& app) {
  auto options = std::make_shared<NvsDumpOptions>();
  auto* sub = app.add_subcommand("nvs-dump", "List and check an NVS partition image (exit 0 = valid)");
  sub->footer(
      "  espprov nvs-dump creds.bin                       # namespaces, entries (secrets as ***), pages, problems\n"
      "  espprov nvs-dump nvs.bin --keys nvs_keys.bin     # encrypted image\n"
      "  espprov nvs-dump creds.bin --show-secrets         # psk, passwords and keys in the clear\n"
      "Exit 0 when every CRC and structure checks out, 21 (nvs_invalid) otherwise; problems name page, entry, key.");
  sub->add_option("file", options->file, "Image file ('-' = stdin)")->required();
  sub->add_option("--keys", options->keys_file, "nvs_keys partition (or 64 raw key bytes) to decrypt with");
  sub->add_flag("--show-secrets", options->show_secrets, "Print values of secret keys (psk, passwords, keys)");
  espprov::add_output_options(*sub);
  sub->callback([options] { run(*options); });
}

const espprov::CommandRegistrar registrar{51, setup};

}  // namespace cmd_nvs_dump
}  // namespace
