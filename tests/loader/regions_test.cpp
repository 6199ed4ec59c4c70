// The checks made on several flash images before a board is touched, and --chip.
#include <catch2/catch.hpp>

#include "provision/error.hpp"
#include "provision/loader/regions.hpp"

namespace regions_test {

using provision::Error;
using provision::ErrorCode;
using provision::loader::RegionExtent;
using provision::loader::require_chip_choice;
using provision::loader::require_disjoint_regions;
using provision::loader::require_expected_chip;

namespace {

// Whether the regions pass; a refusal must be bad_input naming the field.
bool accepted(const std::vector<RegionExtent>& regions) {
  try {
    require_disjoint_regions(regions, "offset");
  } catch (const Error& error) {
    CHECK(error.code() == ErrorCode::bad_input);
    CHECK(error.field() == "offset");
    return false;
  }
  return true;
}

}  // namespace

TEST_CASE("regions in their own sectors pass, in any order", "[loader][regions]") {
  CHECK(accepted({{0x10000, 0x5000, "app"}, {0x0, 0x7000, "boot"}, {0x8000, 0xC00, "table"}}));
  CHECK(accepted({{0x8000, 0x1000, "a"}, {0x9000, 0x1000, "b"}}));  // adjacent sectors
}

TEST_CASE("regions whose bytes overlap are refused, naming both", "[loader][regions]") {
  try {
    require_disjoint_regions({{0x10000, 0x2000, "app.bin"}, {0x11000, 0x100, "other.bin"}}, "offset");
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.code() == ErrorCode::bad_input);
    CHECK(std::string(error.what()).find("app.bin at 0x10000..0x12000") != std::string::npos);
    CHECK(std::string(error.what()).find("other.bin at 0x11000..0x11100") != std::string::npos);
  }
}

TEST_CASE("regions sharing only a sector are refused: the second erase would take the first's bytes",
          "[loader][regions]") {
  CHECK_FALSE(accepted({{0x12000, 0x100, "a"}, {0x12F00, 0x100, "b"}}));
  CHECK(accepted({{0x3F0000, 0x10000, "credentials"}, {0x3EF800, 0x800, "tail"}}));
  CHECK_FALSE(accepted({{0x3F0000, 0x10000, "credentials"}, {0x3EF800, 0x801, "tail"}}));
}

TEST_CASE("an empty region is refused", "[loader][regions]") {
  CHECK_FALSE(accepted({{0x10000, 0, "empty.bin"}}));
}

TEST_CASE("regions: --chip takes auto or a chip of the table, and a different detected chip is wrong_board",
          "[loader][regions]") {
  CHECK_NOTHROW(require_chip_choice("auto"));
  CHECK_NOTHROW(require_chip_choice("esp32h2"));
  CHECK_THROWS_AS(require_chip_choice("esp8266"), Error);
  const auto* c3 = provision::loader::find_chip_by_name("esp32c3");
  CHECK_NOTHROW(require_expected_chip(c3, "auto", "P"));
  CHECK_NOTHROW(require_expected_chip(c3, "esp32c3", "P"));
  try {
    require_expected_chip(c3, "esp32", "/dev/ttyUSB0");
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.code() == ErrorCode::wrong_board);
    CHECK(error.field() == "chip");
    const std::string message = error.what();
    CHECK(message.find("esp32c3") != std::string::npos);
    CHECK(message.find("--chip says esp32") != std::string::npos);
  }
}

}  // namespace regions_test
