// The loader against simulated boards in Secure Download Mode and with flash encryption: what it reports, what it
// refuses before sending (secure_download), and what it still does; the EUI-64 of the 802.15.4 chips.
#include <catch2/catch.hpp>

#include "loader/loader_support.hpp"
#include "sim/sim_run.hpp"

namespace secure_download_sim_test {

using namespace loader_test;
using sim_test::SimRun;

namespace {

template <typename Body>
provision::Error failure_of(const std::string& port, Body body) {
  try {
    with_loader<int>(port, [&](loader::Loader& device) -> asio::awaitable<int> {
      co_await body(device);
      co_return 0;
    });
  } catch (const provision::Error& e) {
    return e;
  }
  FAIL("no error");
  return provision::Error(provision::ErrorCode::internal, "unreachable");
}

}  // namespace

TEST_CASE("Secure Download Mode is detected and reported, the chip comes from the chip id", "[loader][sim][sdm]") {
  auto chip = GENERATE(as<std::string>{}, "esp32c3", "esp32s2");
  INFO(chip);
  SimRun sim(1, chip, {"--secure-download", "on"});
  auto info = with_loader<loader::ChipInfo>(sim.devices().at(0).port,
                                            [&](loader::Loader& device) -> asio::awaitable<loader::ChipInfo> {
                                              auto detected = co_await device.detect_chip();
                                              CHECK(device.secure_download());
                                              CHECK_FALSE(device.flash_encryption());
                                              co_return detected;
                                            });
  REQUIRE(info.facts);
  CHECK(info.facts->name == chip);
  CHECK_FALSE(info.magic);  // READ_REG was never sent
  auto fields = loader::chip_fields(info);
  CHECK(fields["secure_download"] == true);
  CHECK(fields["flash_encryption"] == false);
}

TEST_CASE("in Secure Download Mode MAC, reads and verified writes fail with secure_download", "[loader][sim][sdm]") {
  SimRun sim(1, "esp32c3", {"--secure-download", "on"});
  const auto& board = sim.devices().at(0);
  const Bytes before = file_bytes(board.flash, 0x3F0000, 0x2000);
  for (int what = 0; what < 3; ++what) {
    auto error = failure_of(board.port, [&](loader::Loader& device) -> asio::awaitable<void> {
      if (what == 0) co_await device.read_mac();
      if (what == 1) co_await device.read_flash(0x3F0000, 64);
      if (what == 2) co_await device.write_flash(0x3F0000, pattern(0x2000, 31), {});
    });
    INFO(what << ": " << error.what());
    CHECK(error.code() == provision::ErrorCode::secure_download);
    CHECK(std::string(error.what()).find("Secure Download Mode") != std::string::npos);
    CHECK(std::string(error.what()).find("--no-verify") != std::string::npos);
  }
  CHECK(file_bytes(board.flash, 0x3F0000, 0x2000) == before);  // nothing was written
}

TEST_CASE("in Secure Download Mode an unverified write goes out in plain packets, every sector", "[loader][sim][sdm]") {
  SimRun sim(1, "esp32c3", {"--secure-download", "on"});
  const auto& board = sim.devices().at(0);
  const Bytes data = pattern(0x2000 + 10, 32);
  Events events;
  auto result = with_loader<loader::WriteResult>(
      board.port, [&](loader::Loader& device) { return device.write_flash(0x3F0000, data, {.verify = false}); },
      events.sink());
  CHECK(result.written);
  CHECK_FALSE(result.verified);
  CHECK_FALSE(result.compressed);
  CHECK(result.sectors_total == 3);
  CHECK(result.sectors_written == 3);
  CHECK(events.any_warning());
  CHECK(file_bytes(board.flash, 0x3F0000, data.size()) == data);
}

TEST_CASE("flash encryption is reported from FLASH_CRYPT_CNT", "[loader][sim][sdm]") {
  SimRun sim(1, "esp32s3", {"--flash-encryption", "on"});
  auto info = with_loader<loader::ChipInfo>(sim.devices().at(0).port,
                                            [&](loader::Loader& device) -> asio::awaitable<loader::ChipInfo> {
                                              auto detected = co_await device.detect_chip();
                                              CHECK(device.flash_encryption());
                                              CHECK_FALSE(device.secure_download());
                                              co_return detected;
                                            });
  CHECK(loader::chip_fields(info)["flash_encryption"] == true);
}

TEST_CASE("ESP32-C6 and ESP32-H2: the EUI-64 carries ff:fe between OUI and NIC", "[loader][sim][mac]") {
  auto chip = GENERATE(as<std::string>{}, "esp32c6", "esp32h2", "esp32c3");
  INFO(chip);
  SimRun sim(1, chip);
  const auto& board = sim.devices().at(0);
  auto eui64 = with_loader<std::string>(board.port, [&](loader::Loader& device) -> asio::awaitable<std::string> {
    auto mac = co_await device.read_mac();
    CHECK(provision::mac_colon(mac) == board.mac);
    co_return device.eui64();
  });
  if (chip == "esp32c3") {
    CHECK(eui64.empty());
  } else {
    CHECK(eui64 == board.mac.substr(0, 8) + ":FF:FE:" + board.mac.substr(9));
  }
}

}  // namespace secure_download_sim_test
