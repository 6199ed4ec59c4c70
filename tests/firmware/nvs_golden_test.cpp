// The device's NVS reader on every plain golden image produced by Espressif's nvs_partition_gen: each row of the
// case's CSV must read back with its type and value (encrypted cases use their expected-plain.bin).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fw/nvs_reader.hpp"
#include "support/process.hpp"

namespace nvs_golden_test {

namespace fs = std::filesystem;

namespace {

struct CsvRow {
  std::string key, type, encoding, value;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// RFC 4180 after dropping '#' lines (as the generator does) and normalising CRLF to LF.
std::vector<CsvRow> parse_csv(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
  std::string kept;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '#') continue;
    kept += line + "\n";
  }
  std::vector<std::vector<std::string>> records(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const char c = kept[i];
    auto& field = records.back().back();
    if (quoted) {
      if (c == '"' && i + 1 < kept.size() && kept[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      records.back().emplace_back();
    } else if (c == '\n') {
      records.emplace_back(1);
    } else {
      field.push_back(c);
    }
  }
  std::vector<CsvRow> rows;
  for (std::size_t r = 1; r < records.size(); ++r) {  // row 0 is the header
    auto& f = records[r];
    if (f.size() == 1 && f[0].empty()) continue;
    f.resize(4);
    rows.push_back({f[0], f[1], f[2], f[3]});
  }
  return rows;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string hex_decode(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string base64_decode(const std::string& text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const auto at = alphabet.find(c);
    if (at == std::string::npos) continue;  // '=' and characters outside the alphabet
    buffer = (buffer << 6) | static_cast<unsigned>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

void check_row(const fw::nvs::NvsImage& image, const std::string& ns, const CsvRow& row, const fs::path& dir) {
  INFO("key " << row.key << " (" << row.type << ", " << row.encoding << ")");
  std::string value = row.value;
  if (row.type == "file") value = read_file(dir / row.value);
  const std::string& enc = row.encoding;
  if (enc == "string") {
    CHECK(image.get_string(ns, row.key) == value);
  } else if (enc == "hex2bin") {
    CHECK(image.get_blob(ns, row.key) == hex_decode(trim(value)));
  } else if (enc == "base64") {
    CHECK(image.get_blob(ns, row.key) == base64_decode(value));
  } else if (enc == "binary") {
    CHECK(image.get_blob(ns, row.key) == value);
  } else if (enc[0] == 'u') {
    CHECK(image.get_unsigned(ns, row.key) == std::stoull(value));
  } else if (enc[0] == 'i') {
    CHECK(image.get_signed(ns, row.key) == std::stoll(value));
  } else {
    FAIL("unexpected encoding " << enc);
  }
}

}  // namespace

TEST_CASE("the NVS reader reads every golden image as its CSV says", "[firmware][nvs]") {
  const fs::path root = test_support::shared_path("golden") / "nvs";
  REQUIRE(fs::is_directory(root));
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    const fs::path dir = entry.path();
    fs::path image_path = dir / "expected-plain.bin";
    if (!fs::exists(image_path)) image_path = dir / "expected.bin";
    if (!fs::exists(image_path) || !fs::exists(dir / "input.csv")) continue;
    ++cases;
    SECTION(dir.filename().string()) {
      const std::string bytes = read_file(image_path);
      const auto image = fw::nvs::NvsImage::parse(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      std::string ns;
      std::size_t data_rows = 0;
      for (const auto& row : parse_csv(read_file(dir / "input.csv"))) {
        if (row.type == "namespace") {
          ns = row.key;
          CHECK(image.namespace_index(ns).has_value());
          continue;
        }
        ++data_rows;
        check_row(image, ns, row, dir);
      }
      std::size_t live = 0;
      for (const auto& item : image.items()) {
        if (item.ns != 0 && item.type != static_cast<std::uint8_t>(fw::nvs::ItemType::blob_data)) ++live;
      }
      CHECK(live == data_rows);
    }
  }
  CHECK(cases >= 28);
}

}  // namespace nvs_golden_test
