// The loader's behaviour on the line: baud change, boot noise before SYNC, resets on a pty (warnings), leaving
// the loader (the board runs its app), ROM errors, and a stalled board.
#include <catch2/catch.hpp>

#include "loader/loader_support.hpp"
#include "sim/sim_run.hpp"

namespace loader_link_test {

using namespace loader_test;
using sim_test::SimRun;

namespace {

std::string board_mode(const SimRun& sim) {
  // The control socket lists each board with its mode (download or app).
  return sim.control("list");
}

provision::Error expect_error(const std::string& port, std::function<asio::awaitable<int>(loader::Loader&)> body) {
  try {
    with_loader<int>(port, std::move(body));
  } catch (const provision::Error& e) {
    return e;
  }
  FAIL("no error");
  return provision::Error(provision::ErrorCode::internal, "unreachable");
}

}  // namespace

TEST_CASE("after a baud change to 921600 the session goes on at the new rate", "[loader][sim]") {
  SimRun sim(1, "esp32c3", {"--baud-pacing", "on"});
  const auto& board = sim.devices().at(0);
  const Bytes data = pattern(0x4000, 6);
  auto result = with_loader<loader::WriteResult>(board.port, [&](loader::Loader& device) -> asio::awaitable<loader::WriteResult> {
    co_await device.change_baud(921600);
    CHECK(device.link().baud() == 921600);
    co_await device.detect_chip();
    co_return co_await device.write_flash(0x3F0000, data, {});
  });
  CHECK(result.verified);
  CHECK(file_bytes(board.flash, 0x3F0000, data.size()) == data);
}

TEST_CASE("the ROM boot banner before SYNC is skipped", "[loader][sim]") {
  SimRun sim(1, "esp32s3", {"--baud-pacing", "on"});
  const auto& board = sim.devices().at(0);
  REQUIRE(sim.control("download 0") == "ok");  // reset into download mode: the ROM prints its banner
  auto chip = with_loader<std::string>(board.port, [&](loader::Loader& device) -> asio::awaitable<std::string> {
    auto detected = co_await device.detect_chip();
    co_return std::string(detected.facts->name);
  });
  CHECK(chip == "esp32s3");
}

TEST_CASE("a pty has no modem lines: --before default-reset warns and connects", "[loader][sim]") {
  SimRun sim(1, "esp32h2");
  Events events;
  auto mac = with_loader<std::string>(
      sim.devices().at(0).port,
      [&](loader::Loader& device) -> asio::awaitable<std::string> {
        auto mac = co_await device.read_mac();
        co_return provision::mac_colon(mac);
      },
      events.sink(), loader::BeforeReset::default_reset);
  CHECK(mac == sim.devices().at(0).mac);
  CHECK(events.any_warning());
}

TEST_CASE("loader: --after hard-reset on a pty falls back to FLASH_END and the board runs its app", "[loader][sim]") {
  auto after = GENERATE(loader::AfterReset::hard_reset, loader::AfterReset::run_app);
  SimRun sim(1, "esp32c2");
  Events events;
  with_loader<int>(
      sim.devices().at(0).port,
      [&](loader::Loader& device) -> asio::awaitable<int> {
        co_await device.write_flash(0x3F0000, pattern(0x1000, 7), {});
        co_await device.leave(after);
        co_return 0;
      },
      events.sink());
  CHECK(board_mode(sim).find("\"mode\":\"app\"") != std::string::npos);
  CHECK(events.any_warning() == (after == loader::AfterReset::hard_reset));
}

TEST_CASE("loader: --after no-reset stays in the loader", "[loader][sim]") {
  SimRun sim(1, "esp32");
  with_loader<int>(sim.devices().at(0).port, [&](loader::Loader& device) -> asio::awaitable<int> {
    co_await device.leave(loader::AfterReset::no_reset);
    co_return 0;
  });
  CHECK(board_mode(sim).find("\"mode\":\"download\"") != std::string::npos);
}

TEST_CASE("a write outside the flash surfaces the ROM's error", "[loader][sim]") {
  SimRun sim(1, "esp32c3");
  auto error = expect_error(sim.devices().at(0).port, [&](loader::Loader& device) -> asio::awaitable<int> {
    co_await device.write_flash(0x3FF000, pattern(0x3000, 8), {.compress = false, .force = true});
    co_return 0;
  });
  CHECK(error.code() == provision::ErrorCode::rom_error);
  CHECK(std::string(error.what()).find("FLASH_BEGIN") != std::string::npos);
}

TEST_CASE("a board that stops answering gives device_timeout naming the command", "[loader][sim]") {
  SimRun sim(1, "esp32s2", {"--fault-stall", "600"});
  auto error = expect_error(sim.devices().at(0).port, [&](loader::Loader& device) -> asio::awaitable<int> {
    co_await device.write_flash(0x100000, pattern(0x8000, 9), {.compress = false});
    co_return 0;
  });
  CHECK(error.code() == provision::ErrorCode::device_timeout);
  CHECK(std::string(error.what()).find("did not answer") != std::string::npos);
}

TEST_CASE("a silent port gives device_timeout after the SYNC tries", "[loader][sim]") {
  SimRun sim(1, "esp32c6", {"--fault-stall", "1"});
  try {
    provision::serial::run_blocking<int>([&]() -> asio::awaitable<int> {
      auto link = co_await provision::serial::open_link(sim.devices().at(0).port, 115200);
      loader::Loader device(*link);
      co_await device.connect(loader::BeforeReset::no_reset, 1);
      co_return 0;
    });
    FAIL("connected");
  } catch (const provision::Error& e) {
    CHECK(e.code() == provision::ErrorCode::device_timeout);
    CHECK(std::string(e.what()).find("SYNC") != std::string::npos);
  }
}

}  // namespace loader_link_test
