// CRC, limits and placement facts of the writer that the golden cases do not pin down.
#include <catch2/catch.hpp>

#include "provision/error.hpp"
#include "provision/nvs.hpp"

namespace model_test {

namespace nvs = provision::nvs;

namespace {
std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}
nvs::Content one_item(nvs::Value value, std::string ns = "ns", std::string key = "k") {
  nvs::Content content;
  content.add(ns, key, std::move(value));
  return content;
}
}  // namespace

TEST_CASE("crc32 is ESP-IDF's: check value 0xD202D277, empty input 0xFFFFFFFF", "[nvs][crc]") {
  CHECK(nvs::crc32(bytes_of("123456789")) == 0xD202D277u);
  CHECK(nvs::crc32({}) == 0xFFFFFFFFu);
}

TEST_CASE("names longer than 15 characters are refused with the limit", "[nvs][limits]") {
  CHECK_THROWS_WITH(nvs::validate(one_item(nvs::Value::string("x"), "deviceprovisioning"), nvs::FormatVersion::v2),
                    Catch::Contains("'deviceprovisioning' has 18 characters") && Catch::Contains("at most 15"));
  CHECK_THROWS_WITH(nvs::validate(one_item(nvs::Value::string("x"), "ns", ""), nvs::FormatVersion::v2),
                    Catch::Contains("empty key"));
  CHECK_NOTHROW(nvs::validate(one_item(nvs::Value::string("x"), "fifteen_chars_x", "fifteen_chars_y"),
                              nvs::FormatVersion::v2));
}

TEST_CASE("more than 254 namespaces are refused", "[nvs][limits]") {
  nvs::Content content;
  for (int i = 0; i < 255; ++i) content.declare_namespace("n" + std::to_string(i));
  CHECK_THROWS_WITH(nvs::validate(content, nvs::FormatVersion::v2), Catch::Contains("254"));
}

TEST_CASE("integer values outside their type are refused", "[nvs][limits]") {
  CHECK_THROWS_WITH(nvs::validate(one_item(nvs::Value::unsigned_integer(nvs::ValueType::u16, 65536)),
                                  nvs::FormatVersion::v2),
                    Catch::Contains("0..65535"));
  CHECK_THROWS_WITH(nvs::validate(one_item(nvs::Value::integer(nvs::ValueType::i32, -2147483649LL)),
                                  nvs::FormatVersion::v2),
                    Catch::Contains("-2147483648..2147483647"));
}

TEST_CASE("a string of 3999 characters fills a whole page and reads back", "[nvs][limits]") {
  // nvs_partition_gen cannot place 3968..3999 characters; ESP-IDF accepts up to 4000 bytes with the NUL.
  const std::string text(3999, 'x');
  nvs::Content content = one_item(nvs::Value::string(text));
  nvs::BuildOptions options;
  options.size_bytes = 0x4000;
  const auto image = nvs::build_image(content, options);
  const auto report = nvs::read_image(image);
  CHECK(report.valid());
  CHECK(report.content == content);
  CHECK(report.pages[1].written_entries == nvs::kEntriesPerPage);
}

TEST_CASE("data larger than the partition is refused with the size it needs", "[nvs][limits]") {
  nvs::BuildOptions options;
  options.size_bytes = 0x3000;
  std::vector<std::uint8_t> blob(20000, 0xAB);
  CHECK_THROWS_WITH(nvs::build_image(one_item(nvs::Value::blob(blob)), options),
                    Catch::Contains("use --size 0x"));
}

TEST_CASE("sizes parse as hex, decimal or KiB and refuse other text", "[nvs][limits]") {
  CHECK(nvs::parse_size("0x6000", "size") == 0x6000);
  CHECK(nvs::parse_size("24576", "size") == 0x6000);
  CHECK(nvs::parse_size("24K", "size") == 0x6000);
  CHECK_THROWS_WITH(nvs::parse_size("six", "size"), Catch::Contains("'six'"));
}

TEST_CASE("key partitions: CRC checked, 64 raw bytes accepted, erased refused", "[nvs][keys]") {
  const auto keys = nvs::generate_keys();
  auto partition = nvs::key_partition_image(keys);
  REQUIRE(partition.size() == 4096);
  CHECK(nvs::parse_key_file(partition) == keys);
  CHECK(nvs::parse_key_file(std::span(partition).first(64)) == keys);
  partition[3] ^= 1;
  CHECK_THROWS_WITH(nvs::parse_key_file(partition), Catch::Contains("CRC32"));
  CHECK_THROWS_WITH(nvs::parse_key_file(std::vector<std::uint8_t>(4096, 0xFF)), Catch::Contains("erased"));
  CHECK_THROWS_WITH(nvs::parse_key_file(std::vector<std::uint8_t>(10, 0)), Catch::Contains("10 bytes"));
}

}  // namespace model_test
