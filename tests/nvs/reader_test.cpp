// The reader names damage precisely and accepts what a running device leaves behind.
#include <catch2/catch.hpp>

#include <random>

#include "nvs/golden_support.hpp"
#include "provision/nvs.hpp"
#include "support/process.hpp"

namespace reader_test {

namespace nvs = provision::nvs;

namespace {

std::vector<std::uint8_t> golden_image(const std::string& name) {
  return nvs_golden::read_bytes(test_support::shared_path("golden/nvs/" + name + "/expected.bin"));
}

std::size_t offset_of(std::size_t page, std::size_t entry) { return page * 4096 + 64 + entry * 32; }

void set_entry_state(std::vector<std::uint8_t>& image, std::size_t page, std::size_t entry, unsigned state) {
  auto& byte = image[page * 4096 + 32 + entry / 4];
  const unsigned shift = 2 * (entry % 4);
  byte = static_cast<std::uint8_t>((byte & ~(3u << shift)) | (state << shift));
}

// Finds the entry whose key field is `key` (first match, any page).
std::pair<std::size_t, std::size_t> find_entry(const std::vector<std::uint8_t>& image, std::string_view key,
                                               std::uint8_t type = 0) {
  for (std::size_t page = 0; page < image.size() / 4096; ++page) {
    for (std::size_t entry = 0; entry < 126; ++entry) {
      const auto* e = image.data() + offset_of(page, entry);
      if (std::string_view(reinterpret_cast<const char*>(e + 8)) == key && (type == 0 || e[1] == type)) {
        return {page, entry};
      }
    }
  }
  FAIL("no entry " << key);
  return {};
}

void rewrite_header_crc(std::vector<std::uint8_t>& image, std::size_t page) {
  const auto crc = nvs::crc32(std::span(image.data() + page * 4096 + 4, 24));
  for (int i = 0; i < 4; ++i) image[page * 4096 + 28 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

bool has_problem(const nvs::ReadReport& report, std::string_view kind, std::size_t page,
                 std::optional<std::size_t> entry) {
  for (const auto& p : report.problems) {
    if (p.kind == kind && p.page == page && p.entry == entry) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("reader: a flipped data byte is a data_crc problem at that item", "[nvs][reader]") {
  auto image = golden_image("credentials");
  auto [page, entry] = find_entry(image, "device_cert");
  image[offset_of(page, entry + 3) + 5] ^= 0x20;
  auto report = nvs::read_image(image);
  CHECK_FALSE(report.valid());
  CHECK(has_problem(report, "data_crc", page, entry));
  CHECK(report.content.find("provisioning", "device_cert") == nullptr);
  CHECK(report.content.find("provisioning", "ca_cert") != nullptr);  // the rest still reads
}

TEST_CASE("reader: a damaged entry header is an entry_crc problem", "[nvs][reader]") {
  auto image = golden_image("int_limits");
  auto [page, entry] = find_entry(image, "u16_max");
  image[offset_of(page, entry) + 24] ^= 1;
  auto report = nvs::read_image(image);
  CHECK(has_problem(report, "entry_crc", page, entry));
  CHECK(report.problems.size() == 1);
}

TEST_CASE("reader: a damaged page header is a header_crc problem", "[nvs][reader]") {
  auto image = golden_image("string_moves_to_next_page");
  image[1 * 4096 + 12] = 0;
  auto report = nvs::read_image(image);
  CHECK(has_problem(report, "header_crc", 1, std::nullopt));
}

TEST_CASE("reader: a span whose data entries are not written is truncated", "[nvs][reader]") {
  auto image = golden_image("string_len_1000");
  auto [page, entry] = find_entry(image, "s");
  set_entry_state(image, page, entry + 10, 0b11);
  auto report = nvs::read_image(image);
  CHECK(has_problem(report, "truncated_span", page, entry));
}

TEST_CASE("reader: blob chunks without their index are orphans, a missing chunk is named", "[nvs][reader]") {
  auto image = golden_image("blob_spans_two_pages");
  auto index = find_entry(image, "blob", 0x48);
  auto orphaned = image;
  set_entry_state(orphaned, index.first, index.second, 0b00);  // index erased: chunks left behind
  auto report = nvs::read_image(orphaned);
  CHECK(has_problem(report, "orphan_blob_chunk", 0, find_entry(image, "blob", 0x42).second));

  auto missing = image;
  auto chunk1 = find_entry(image, "blob", 0x42);
  set_entry_state(missing, chunk1.first, chunk1.second, 0b00);
  report = nvs::read_image(missing);
  CHECK(has_problem(report, "blob_missing_chunk", index.first, index.second));
}

TEST_CASE("reader: an encrypted image without keys is invalid, with keys it reads", "[nvs][reader][xts]") {
  const auto dir = test_support::shared_path("golden/nvs/credentials_encrypted");
  const auto image = nvs_golden::read_bytes(dir / "expected.bin");
  CHECK_FALSE(nvs::read_image(image).valid());
  const auto keys = nvs::parse_key_file(nvs_golden::read_bytes(dir / "keys.bin"));
  const auto report = nvs::read_image(image, keys);
  CHECK(report.valid());
  CHECK(report.content.find("provisioning", "wifi_ssid")->as_string() == "Factory-Line-3");
}

TEST_CASE("reader: erased entries, as a device leaves them after nvs_erase_key, are skipped", "[nvs][reader][device]") {
  auto image = golden_image("credentials");
  auto [page, entry] = find_entry(image, "psk");
  const std::size_t span = image[offset_of(page, entry) + 2];
  REQUIRE(span == 4);  // 65 bytes with the NUL: header + 3 data entries
  for (std::size_t e = entry; e < entry + span; ++e) set_entry_state(image, page, e, 0b00);
  auto report = nvs::read_image(image);
  CHECK(report.valid());
  CHECK(report.content.find("provisioning", "psk") == nullptr);
  CHECK(report.pages[page].erased_entries == 4);
}

TEST_CASE("reader: a FREEING page whose items were copied to a newer page is superseded", "[nvs][reader][device]") {
  // Garbage collection copies a page's items to a fresh page before erasing it; power loss in between leaves both.
  auto image = golden_image("size_0x10000");
  const auto original = nvs::read_image(image);
  REQUIRE(original.valid());
  std::copy(image.begin(), image.begin() + 4096, image.begin() + 2 * 4096);
  image[2 * 4096 + 4] = 7;  // newer sequence number
  rewrite_header_crc(image, 2);
  for (int i = 0; i < 4; ++i) image[i] = i == 0 ? 0xF8 : 0xFF;  // page 0 state FREEING
  auto report = nvs::read_image(image);
  for (const auto& p : report.problems) UNSCOPED_INFO(p.message);
  CHECK(report.valid());
  CHECK(report.pages[0].state == "freeing");
  // Same items; their order follows the sequence numbers (the copy is now the newest page).
  REQUIRE(report.content.elements().size() == original.content.elements().size());
  for (const auto& element : original.content.elements()) {
    if (element.kind != nvs::Element::Kind::item) continue;
    const auto* value = report.content.find(element.namespace_name, element.key);
    REQUIRE(value != nullptr);
    CHECK(*value == element.value);
  }
}

TEST_CASE("reader: the same key twice on live pages is reported", "[nvs][reader]") {
  auto image = golden_image("size_0x10000");
  std::copy(image.begin(), image.begin() + 4096, image.begin() + 2 * 4096);
  image[2 * 4096 + 4] = 7;
  rewrite_header_crc(image, 2);
  auto report = nvs::read_image(image);
  CHECK_FALSE(report.valid());
  bool duplicate = false;
  for (const auto& p : report.problems) duplicate = duplicate || p.kind == "duplicate_key";
  CHECK(duplicate);
}

TEST_CASE("reader: an erased partition is valid and empty, a ragged size is reported", "[nvs][reader]") {
  CHECK(nvs::read_image(std::vector<std::uint8_t>(0x3000, 0xFF)).valid());
  CHECK(nvs::read_image(std::vector<std::uint8_t>(0x3000, 0xFF)).content.elements().empty());
  auto report = nvs::read_image(std::vector<std::uint8_t>(5000, 0xFF));
  CHECK(has_problem(report, "image_size", 1, std::nullopt));
}

TEST_CASE("reader: random damage never crashes and is always reported", "[nvs][reader]") {
  const auto clean = golden_image("credentials");
  std::mt19937 random(20240601);
  for (int round = 0; round < 300; ++round) {
    auto image = clean;
    const auto offset = std::uniform_int_distribution<std::size_t>(0, 2 * 4096 - 1)(random);
    const auto flip = static_cast<std::uint8_t>(1u << std::uniform_int_distribution<int>(0, 7)(random));
    image[offset] ^= flip;
    const auto report = nvs::read_image(image);
    // Every byte of a written page is covered by a CRC, a state or padding; a flip is either reported or harmless.
    if (report.valid()) CHECK(report.content.elements().size() <= 7);
  }
}

}  // namespace reader_test
