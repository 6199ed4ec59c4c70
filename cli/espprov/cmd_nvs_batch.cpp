// espprov nvs-batch: one NVS image per device from key definitions + a values CSV (ESP-IDF mfg_gen's model).
#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "command.hpp"
#include "nvs_common.hpp"
#include "provision/error.hpp"
#include "provision/files.hpp"

namespace {
namespace cmd_nvs_batch {

namespace nvs = provision::nvs;
using provision::Record;

struct NvsBatchOptions {
  std::string definitions;
  std::string values;
  std::string id_column;
  std::string prefix = "nvs";
  std::string outdir = ".";
  std::string size = "0x6000";
  int version = 2;
  bool encrypt = false;
  std::string keys_file;
  bool keys_per_device = false;
  unsigned jobs = std::max(1U, std::thread::hardware_concurrency());
};

struct BatchResult {
  std::vector<Record> manifest;  // one row per values row, in order
  std::size_t failed = 0;
};

// A failed row: the same error object as every other command ({code, message, field}), plus where it was.
Record failure_row(const nvs::BatchFailure& failure) {
  Record error{{"code", std::string(provision::error_name(failure.code))},
               {"message", failure.message},
               {"field", failure.column}};
  return Record{{"ok", false}, {"id", failure.id}, {"line", failure.line}, {"column", failure.column}, {"error", error}};
}

// Builds and writes one planned device; a device that fails to build becomes a failure row.
Record build_device(const NvsBatchOptions& options, const nvs::BuildOptions& build, const nvs::BatchDevice& device) {
  const std::filesystem::path outdir(options.outdir);
  const auto file = outdir / fmt::format("{}-{}.bin", options.prefix, device.id);
  Record row{{"ok", true}, {"id", device.id}, {"line", device.line}, {"nvs_file", file.string()}};
  try {
    std::optional<nvs::XtsKeys> device_keys;
    if (options.keys_per_device) device_keys = nvs::generate_keys();
    nvs::BuildOptions device_build = build;
    if (device_keys) device_build.keys = device_keys;
    const auto image = nvs::build_image(device.content, device_build);
    if (device_keys) {
      const auto keys_file = outdir / fmt::format("{}-{}-keys.bin", options.prefix, device.id);
      provision::write_file_atomic_deferred(keys_file, nvs::key_partition_image(*device_keys),
                                            provision::FileMode::secret);
      row["nvs_keys_file"] = keys_file.string();
    }
    provision::write_file_atomic_deferred(file, image, provision::FileMode::secret);
    row["nvs_md5"] = espprov::md5_hex(image);
    row["nvs_encrypted"] = device_build.keys.has_value();
  } catch (const provision::Error& error) {
    row = failure_row({device.id, device.line, error.field(), error.what(), error.code()});
  }
  return row;
}

// Every planned device, on --jobs threads (each image is independent: a pure build, then its own files); the rows
// keep the plan's order.
void build_devices(const NvsBatchOptions& options, const nvs::BatchPlan& plan, BatchResult& result) {
  nvs::BuildOptions build;
  build.size_bytes = nvs::parse_size(options.size, "size");
  build.version = espprov::parse_nvs_version(options.version);
  if (!options.keys_file.empty()) build.keys = nvs::parse_key_file(provision::read_file_bytes(options.keys_file));
  std::vector<Record> rows(plan.devices.size());
  std::atomic<std::size_t> next{0};
  std::exception_ptr unexpected;
  std::mutex unexpected_lock;
  auto worker = [&] {
    try {
      for (std::size_t i; (i = next.fetch_add(1)) < rows.size();) rows[i] = build_device(options, build, plan.devices[i]);
    } catch (...) {
      std::lock_guard guard(unexpected_lock);
      if (!unexpected) unexpected = std::current_exception();
      next = rows.size();
    }
  };
  const std::size_t jobs = std::clamp<std::size_t>(options.jobs, 1, std::max<std::size_t>(rows.size(), 1));
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& thread : threads) thread.join();
  if (unexpected) std::rethrow_exception(unexpected);
  for (auto& row : rows) {
    if (!row["ok"].get<bool>()) ++result.failed;
    result.manifest.push_back(std::move(row));
  }
}

provision::ErrorCode failure_code(const Record& row) {
  const std::string name = row["error"]["code"].get<std::string>();
  for (auto* e = provision::error_table_begin(); e != provision::error_table_end(); ++e) {
    if (e->name == name) return e->code;
  }
  return provision::ErrorCode::partial_failure;
}

// The batch's own error: all rows failed with one kind of error = that error (code and field); otherwise
// partial_failure on the values file. One message, however many rows failed alike (the manifest lists each).
std::pair<provision::ErrorCode, Record> batch_error(const Record& failures, std::size_t rows) {
  std::set<std::string> kinds, fields;
  for (const auto& row : failures) {
    kinds.insert(row["error"]["code"].get<std::string>());
    fields.insert(row["error"]["field"].get<std::string>());
  }
  const Record& first = failures[0]["error"];
  auto code = provision::ErrorCode::partial_failure;
  std::string field = "values";
  if (failures.size() == rows && kinds.size() == 1) {
    code = failure_code(failures[0]);
    if (fields.size() == 1) field = *fields.begin();
  }
  const std::string message = fmt::format("{} of {} rows failed ({}); first: {}", failures.size(), rows,
                                          fmt::join(kinds, ", "), first["message"].get<std::string>());
  return {code, Record{{"code", std::string(provision::error_name(code))}, {"message", message}, {"field", field}}};
}

void run(const NvsBatchOptions& options) {
  if (options.encrypt && options.keys_file.empty() && !options.keys_per_device) {
    throw provision::Error(provision::ErrorCode::usage, "--encrypt needs --keys FILE or --keys-per-device", "keys");
  }
  const auto plan = nvs::plan_batch(provision::read_file_text(options.definitions),
                                    provision::read_file_text(options.values), options.id_column,
                                    espprov::file_loader_relative_to(options.values));
  std::filesystem::create_directories(options.outdir);
  BatchResult result;
  build_devices(options, plan, result);
  for (const auto& failure : plan.failures) result.manifest.push_back(failure_row(failure));
  result.failed += plan.failures.size();
  // Durable once: every image and key file written above reaches the disk with one sync, before the manifests
  // that list them (a manifest on disk means its files are too).
  provision::sync_folder(options.outdir);
  std::stable_sort(result.manifest.begin(), result.manifest.end(),
                   [](const Record& a, const Record& b) { return a["line"].get<std::size_t>() < b["line"].get<std::size_t>(); });

  const std::filesystem::path outdir(options.outdir);
  const auto manifest_json = outdir / (options.prefix + "-manifest.json");
  const auto manifest_csv = outdir / (options.prefix + "-manifest.csv");
  Record manifest = Record::array();
  for (const auto& row : result.manifest) manifest.push_back(row);
  provision::write_file_atomic(manifest_json, provision::to_json_text(manifest, 2) + "\n");
  std::string csv;
  const auto columns = provision::csv_columns(result.manifest);
  csv += provision::csv_header(columns);
  for (const auto& row : result.manifest) csv += provision::csv_row(row, columns);
  provision::write_file_atomic(manifest_csv, csv);

  const std::size_t rows = result.manifest.size();
  Record summary{{"ok", result.failed == 0},          {"devices", rows},
                 {"built", rows - result.failed},     {"failed", result.failed},
                 {"manifest", manifest_json.string()}, {"manifest_csv", manifest_csv.string()}};
  Record failures = Record::array();
  for (const auto& row : result.manifest) {
    if (row["ok"] == false) failures.push_back(row);
  }
  summary["failures"] = failures;
  if (result.failed == 0) {
    espprov::emit(summary);
    return;
  }
  const auto [code, error] = batch_error(failures, rows);
  summary["error"] = error;  // the {code, message, field} object every command's failure carries
  espprov::emit(summary);
  std::cerr << "espprov: error: " << error["message"].get<std::string>() << '\n';
  throw espprov::ExitWith{provision::exit_code_of(code)};
}

void setup(CLI::App& app) {
  auto options = std::make_shared<NvsBatchOptions>();
  auto* sub = app.add_subcommand("nvs-batch", "Build one NVS image per device from key definitions + a values CSV");
  sub->footer(
      "Definitions (nvs_partition_gen's CSV; a data/file row's value is a default, usually left empty):\n"
      "  key,type,encoding,value\n  provision,namespace,,\n  uuid,data,string,\n  serial,data,u32,\n"
      "Values (one row per device; columns named like the keys, plus an id column):\n"
      "  id,uuid,serial\n  dev001,6f1c2a9e-...,1001\n"
      "  espprov nvs-batch --definitions keys.csv --values devices.csv --id-column id --prefix line3 --outdir out\n"
      "writes out/line3-dev001.bin ... and out/line3-manifest.json/.csv. Bad rows are listed with their line and\n"
      "column and the others are still built; exit 5 (partial_failure) when some rows failed, the error's own\n"
      "code when every row failed alike. The files are made durable once, at the end, before the manifests.\n"
      "  --encrypt --keys nvs_keys.bin   one key partition for all; --encrypt --keys-per-device: <prefix>-<id>-keys.bin");
  sub->add_option("--definitions", options->definitions, "Key definitions CSV (key,type,encoding[,value])")
      ->required();
  sub->add_option("--values", options->values, "Values CSV: header of key names, one row per device")->required();
  sub->add_option("--id-column", options->id_column, "Column naming each device's file (default: row number)");
  sub->add_option("--prefix", options->prefix, "File name prefix")->capture_default_str();
  sub->add_option("--outdir", options->outdir, "Output folder (created)")->capture_default_str();
  sub->add_option("--size", options->size, "Partition size (multiple of 4096, >= 0x3000)")->capture_default_str();
  sub->add_option("--version", options->version, "NVS format 1 or 2")->capture_default_str();
  sub->add_flag("--encrypt", options->encrypt, "Encrypt (with --keys or --keys-per-device)");
  sub->add_option("--keys", options->keys_file, "nvs_keys partition used for every device");
  sub->add_flag("--keys-per-device", options->keys_per_device, "Generate a key partition per device (0600)");
  sub->add_option("--jobs", options->jobs, "Images built and written at once (default: the number of CPUs)")
      ->check(CLI::Range(1, 64));
  espprov::add_output_options(*sub);
  sub->callback([options] { run(*options); });
}

const espprov::CommandRegistrar registrar{53, setup};

}  // namespace cmd_nvs_batch
}  // namespace
