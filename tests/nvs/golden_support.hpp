// The golden NVS cases of ../shared/golden/nvs (see its README): inputs, arguments and expected outputs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "provision/nvs.hpp"
#include "provision/nvs_csv.hpp"

namespace nvs_golden {

struct GoldenCase {
  std::string name;
  std::filesystem::path dir;
  std::string command;       // generate, encrypt, generate-key
  std::string csv;           // input file name
  std::string size;          // as written in args.txt
  int version = 2;
  std::string key_file;      // encrypt: --inputkey
  bool expects_error() const { return std::filesystem::exists(dir / "expected-error.txt"); }
};

std::vector<GoldenCase> all_cases();
std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path);
provision::nvs::Content content_of(const GoldenCase& golden);
provision::nvs::BuildOptions build_options_of(const GoldenCase& golden);
// "page 2 entry 17 (offset 0x2260)" for the first differing byte, or "" when equal.
std::string first_difference(const std::vector<std::uint8_t>& expected, const std::vector<std::uint8_t>& actual);

}  // namespace nvs_golden
