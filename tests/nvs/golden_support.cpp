#include "nvs/golden_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "provision/files.hpp"
#include "support/process.hpp"

namespace nvs_golden {

std::vector<GoldenCase> all_cases() {
  std::vector<GoldenCase> cases;
  for (const auto& entry : std::filesystem::directory_iterator(test_support::shared_path("golden/nvs"))) {
    if (!entry.is_directory()) continue;
    GoldenCase golden;
    golden.name = entry.path().filename().string();
    golden.dir = entry.path();
    std::istringstream args(provision::read_file_text(entry.path() / "args.txt"));
    std::vector<std::string> words{std::istream_iterator<std::string>(args), std::istream_iterator<std::string>()};
    golden.command = words.at(0);
    if (golden.command != "generate-key") {
      golden.csv = words.at(1);
      golden.size = words.at(3);
      for (std::size_t i = 4; i + 1 < words.size(); ++i) {
        if (words[i] == "--version") golden.version = std::stoi(words[i + 1]);
        if (words[i] == "--inputkey") golden.key_file = words[i + 1];
      }
    }
    cases.push_back(golden);
  }
  std::sort(cases.begin(), cases.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return cases;
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) { return provision::read_file_bytes(path); }

provision::nvs::Content content_of(const GoldenCase& golden) {
  auto dir = golden.dir;
  return provision::nvs::content_from_csv(provision::read_file_text(dir / golden.csv),
                                          [dir](const std::string& path) { return read_bytes(dir / path); });
}

provision::nvs::BuildOptions build_options_of(const GoldenCase& golden) {
  provision::nvs::BuildOptions options;
  options.size_bytes = provision::nvs::parse_size(golden.size, "size");
  options.version = golden.version == 1 ? provision::nvs::FormatVersion::v1 : provision::nvs::FormatVersion::v2;
  if (!golden.key_file.empty()) options.keys = provision::nvs::parse_key_file(read_bytes(golden.dir / golden.key_file));
  return options;
}

std::string first_difference(const std::vector<std::uint8_t>& expected, const std::vector<std::uint8_t>& actual) {
  const auto limit = std::min(expected.size(), actual.size());
  for (std::size_t i = 0; i < limit; ++i) {
    if (expected[i] == actual[i]) continue;
    const std::size_t page = i / 4096, within = i % 4096;
    std::string where = within < 32   ? "header"
                        : within < 64 ? "bitmap"
                                      : fmt::format("entry {}", (within - 64) / 32);
    return fmt::format("page {} {} (offset {:#x}): expected {:#04x}, got {:#04x}", page, where, i, expected[i],
                       actual[i]);
  }
  if (expected.size() != actual.size()) {
    return fmt::format("length: expected {} bytes, got {}", expected.size(), actual.size());
  }
  return {};
}

}  // namespace nvs_golden
