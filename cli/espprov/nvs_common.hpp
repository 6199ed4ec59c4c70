// Helpers shared by the nvs-* subcommands: key files, image summaries, CSV file loading.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "provision/nvs.hpp"
#include "provision/nvs_csv.hpp"
#include "provision/record.hpp"

namespace espprov {

struct NvsKeyOptions {
  bool encrypt = false;
  std::string keys_file;           // --keys: an existing nvs_keys partition (or 64 raw bytes)
  std::string generate_keys_file;  // --generate-keys: write a new key partition here (0600)
};

void add_nvs_key_options(CLI::App& sub, NvsKeyOptions& options);
// Loads or generates the keys the options ask for (none = plain image). Writes a generated key file.
std::optional<provision::nvs::XtsKeys> resolve_nvs_keys(const NvsKeyOptions& options);

provision::nvs::FormatVersion parse_nvs_version(int version);
std::string md5_hex(std::span<const std::uint8_t> bytes);
std::string size_hex(std::size_t size);
// `file` rows name paths relative to the CSV's folder (the current folder for stdin).
provision::nvs::FileLoader file_loader_relative_to(const std::string& csv_path);

}  // namespace espprov
