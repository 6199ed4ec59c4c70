// The device's NVS writer on raw NOR flash: round trips, page changes, compaction, reloads, and byte-identical
// output against Espressif's generator where the placement rules agree.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "firmware/memory_platform.hpp"
#include "fw/crc32.hpp"
#include "fw/nvs_format.hpp"
#include "fw/nvs_store.hpp"
#include "support/process.hpp"

namespace nvs_store_test {

using fw::nvs::NvsStore;
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kOffset = 0x9000;
constexpr std::uint32_t kSize = 0x6000;

NvsStore loaded(fwtest::MemoryPlatform& platform, std::uint32_t size = kSize) {
  NvsStore store(platform, kOffset, size);
  REQUIRE(store.load());
  return store;
}

fw::nvs::PageState page_state(fwtest::MemoryPlatform& platform, std::size_t page) {
  return static_cast<fw::nvs::PageState>(fw::nvs::read_u32(platform.flash().data() + kOffset + page * 4096));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("crc32 matches ESP-IDF's check value", "[firmware][nvs]") {
  const std::string check = "123456789";
  CHECK(fw::nvs_crc32(reinterpret_cast<const std::uint8_t*>(check.data()), check.size()) == 0xD202D277U);
  CHECK(fw::nvs_crc32(nullptr, 0) == 0xFFFFFFFFU);
}

TEST_CASE("values written are read back, also after a reload from flash", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  {
    NvsStore store = loaded(platform);
    CHECK(store.set_u8("wifi_cfg", "count", 3));
    CHECK(store.set_string("wifi_cfg", "ssid0", "caf\xc3\xa9, \"net\""));
    CHECK(store.set_string("wifi_cfg", "empty", ""));
    CHECK(store.set_blob("device", "pop", std::string("\x00\x01\xff", 3)));
    CHECK(store.set_string("wifi_cfg", "long", std::string(3999, 'x')));
  }
  NvsStore store = loaded(platform);
  CHECK(store.get_u8("wifi_cfg", "count") == 3);
  CHECK(store.get_string("wifi_cfg", "ssid0") == std::string("caf\xc3\xa9, \"net\""));
  CHECK(store.get_string("wifi_cfg", "empty") == std::string());
  CHECK(store.get_blob("device", "pop") == std::string("\x00\x01\xff", 3));
  CHECK(store.get_string("wifi_cfg", "long") == std::string(3999, 'x'));
  CHECK_FALSE(store.get_string("wifi_cfg", "missing"));
  CHECK_FALSE(store.get_u8("wifi_cfg", "ssid0"));  // another type
}

TEST_CASE("strings of 4000 bytes with the NUL and keys over 15 characters are refused", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  NvsStore store = loaded(platform);
  CHECK_FALSE(store.set_string("ns", "too_long", std::string(4000, 'x')));
  CHECK_FALSE(store.set_string("sixteen_chars_ns", "k", "v"));
}

TEST_CASE("an overwrite marks the old entries erased and writing the same value writes nothing", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  NvsStore store = loaded(platform);
  REQUIRE(store.set_string("ns", "key", "first value"));
  REQUIRE(store.set_string("ns", "key", "second value"));
  CHECK(store.get_string("ns", "key") == std::string("second value"));
  const std::uint8_t* page = platform.flash().data() + kOffset;
  CHECK(fw::nvs::entry_state(page, 0) == fw::nvs::EntryState::written);  // namespace entry
  CHECK(fw::nvs::entry_state(page, 1) == fw::nvs::EntryState::erased);   // old header
  CHECK(fw::nvs::entry_state(page, 2) == fw::nvs::EntryState::erased);   // its data
  CHECK(fw::nvs::entry_state(page, 3) == fw::nvs::EntryState::written);
  const int writes = platform.flash_writes();
  REQUIRE(store.set_string("ns", "key", "second value"));
  CHECK(platform.flash_writes() == writes);
}

TEST_CASE("a blob overwrite switches chunk versions and erases the old chunks", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  NvsStore store = loaded(platform);
  REQUIRE(store.set_blob("device", "pop", std::string(32, 'a')));
  REQUIRE(store.set_blob("device", "pop", std::string(5000, 'b')));
  CHECK(store.get_blob("device", "pop") == std::string(5000, 'b'));
  const auto* index = store.image().find("device", "pop");
  REQUIRE(index);
  CHECK(index->data[5] == fw::nvs::kBlobVersion1Start);
  CHECK(index->data[4] == 2);  // 5000 bytes: two chunks of at most 4000
  std::size_t chunks = 0;
  for (const auto& item : store.image().items()) chunks += item.type == 0x42;
  CHECK(chunks == 2);
  NvsStore reloaded = loaded(platform);
  CHECK(reloaded.get_blob("device", "pop") == std::string(5000, 'b'));
}

TEST_CASE("a full page is closed and writing continues on a new page", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  NvsStore store = loaded(platform);
  for (int i = 0; i < 200; ++i) REQUIRE(store.set_u8("ns", "k" + std::to_string(i), static_cast<std::uint8_t>(i)));
  CHECK(page_state(platform, 0) == fw::nvs::PageState::full);
  CHECK(page_state(platform, 1) == fw::nvs::PageState::active);
  NvsStore reloaded = loaded(platform);
  for (int i = 0; i < 200; ++i) CHECK(reloaded.get_u8("ns", "k" + std::to_string(i)) == i);
}

TEST_CASE("rewriting keys over and over compacts pages and keeps every value", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  NvsStore store = loaded(platform, 0x3000);  // 3 pages: two for data, one spare
  for (int round = 0; round < 60; ++round) {
    for (int k = 0; k < 8; ++k) {
      const std::string value = "round " + std::to_string(round) + " key " + std::to_string(k) + std::string(40, '.');
      REQUIRE(store.set_string("wifi_cfg", "ssid" + std::to_string(k), value));
    }
  }
  NvsStore reloaded = loaded(platform, 0x3000);
  for (int k = 0; k < 8; ++k) {
    CHECK(reloaded.get_string("wifi_cfg", "ssid" + std::to_string(k)) ==
          "round 59 key " + std::to_string(k) + std::string(40, '.'));
  }
  std::size_t empty_pages = 0;
  for (const auto& page : reloaded.image().pages()) empty_pages += page.state == fw::nvs::PageState::empty;
  CHECK(empty_pages >= 1);  // the spare page is always kept
}

TEST_CASE("a partition whose live data fills it refuses further writes", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  NvsStore store = loaded(platform, 0x3000);
  int written = 0;
  while (store.set_string("ns", "k" + std::to_string(written), std::string(100, 'v')) && written < 1000) ++written;
  CHECK(written > 40);
  CHECK(written < 100);
  NvsStore reloaded = loaded(platform, 0x3000);
  for (int i = 0; i < written; ++i) CHECK(reloaded.get_string("ns", "k" + std::to_string(i)) == std::string(100, 'v'));
}

TEST_CASE("erase_namespace removes its keys and leaves other namespaces", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  NvsStore store = loaded(platform);
  REQUIRE(store.set_blob("device", "pop", std::string(32, 'p')));
  REQUIRE(store.set_u8("wifi_cfg", "count", 1));
  REQUIRE(store.set_string("wifi_cfg", "ssid0", "net"));
  REQUIRE(store.erase_namespace("wifi_cfg"));
  NvsStore reloaded = loaded(platform);
  CHECK_FALSE(reloaded.get_u8("wifi_cfg", "count"));
  CHECK_FALSE(reloaded.get_string("wifi_cfg", "ssid0"));
  CHECK(reloaded.get_blob("device", "pop") == std::string(32, 'p'));
}

TEST_CASE("a page left FREEING by an interrupted compaction is still read", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  {
    NvsStore store = loaded(platform);
    REQUIRE(store.set_string("ns", "kept", "value"));
  }
  std::uint8_t freeing[4];
  fw::nvs::write_u32(freeing, static_cast<std::uint32_t>(fw::nvs::PageState::freeing));
  REQUIRE(platform.flash_write(kOffset, freeing, 4));
  NvsStore store = loaded(platform);
  CHECK(store.get_string("ns", "kept") == std::string("value"));
  REQUIRE(store.set_string("ns", "next", "written after"));
  CHECK(loaded(platform).get_string("ns", "next") == std::string("written after"));
}

TEST_CASE("a page with a bad header CRC or a foreign state is erased on load", "[firmware][nvs]") {
  fwtest::MemoryPlatform platform;
  std::fill_n(platform.flash().begin() + kOffset, 4096, std::uint8_t{0x12});
  NvsStore store = loaded(platform);
  CHECK(store.image().pages()[0].state == fw::nvs::PageState::empty);
  CHECK(store.set_u8("ns", "k", 1));
}

TEST_CASE("the writer reproduces Espressif's image byte for byte when the layouts agree", "[firmware][nvs]") {
  // Single-entry items and strings that leave room on the page: both sides place them identically.
  for (const char* name : {"string_len_1000", "key_15_chars", "credentials", "many_namespaces"}) {
    INFO(name);
    const fs::path dir = test_support::shared_path("golden") / "nvs" / name;
    const std::string expected = read_file(dir / "expected.bin");
    REQUIRE(!expected.empty());
    const auto golden = fw::nvs::NvsImage::parse(reinterpret_cast<const std::uint8_t*>(expected.data()),
                                                 expected.size());
    fwtest::MemoryPlatform platform;
    NvsStore store(platform, 0, static_cast<std::uint32_t>(expected.size()));
    REQUIRE(store.load());
    std::map<std::uint8_t, std::string> names;
    for (const auto& [ns_name, index] : golden.namespaces()) names[index] = ns_name;
    for (const auto& item : golden.items()) {
      if (item.ns == 0) continue;
      if (item.type == 0x21) {
        REQUIRE(store.set_string(names[item.ns], item.key, item.payload.substr(0, item.payload.size() - 1)));
      } else {
        REQUIRE(item.type == 0x01);  // the cases chosen hold only strings and u8 values
        REQUIRE(store.set_u8(names[item.ns], item.key, item.data[0]));
      }
    }
    const std::vector<std::uint8_t> written(platform.flash().begin(), platform.flash().begin() + expected.size());
    CHECK(written == std::vector<std::uint8_t>(expected.begin(), expected.end()));
  }
}

}  // namespace nvs_store_test
