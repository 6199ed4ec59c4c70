// The loader against espprov-sim over real pseudo-terminals, for every chip model: detection, MAC, flash id,
// plain and compressed writes checked in the board's flash image file, read, erase, skip-when-same, leaving.
#include <catch2/catch.hpp>

#include "loader/loader_support.hpp"
#include "sim/sim_run.hpp"

namespace loader_sim_test {

using namespace loader_test;
using sim_test::SimRun;

namespace {

struct SessionResult {
  loader::ChipInfo chip;
  std::string mac;
  loader::FlashId flash;
  loader::WriteResult compressed, plain, again;
  Bytes read_back;
};

}  // namespace

TEST_CASE("every chip model: detect, MAC, flash id, compressed and plain writes, read, skip when same",
          "[loader][sim]") {
  auto chip = GENERATE(as<std::string>{}, "esp32", "esp32s2", "esp32s3", "esp32c2", "esp32c3", "esp32c6",
                       "esp32h2");
  SimRun sim(1, chip);
  const auto& board = sim.devices().at(0);
  const Bytes prov = pattern(0x10000, 1);
  const Bytes odd = pattern(0x2000 + 100, 2);  // not a whole packet: the last one is padded with 0xFF
  auto result = with_loader<SessionResult>(board.port, [&](loader::Loader& device) -> asio::awaitable<SessionResult> {
    SessionResult r;
    r.chip = co_await device.detect_chip();
    auto mac = co_await device.read_mac();
    r.mac = provision::mac_colon(mac);
    r.flash = co_await device.read_flash_id();
    r.compressed = co_await device.write_flash(0x3F0000, prov, {.compress = true});
    r.plain = co_await device.write_flash(0x200000, odd, {.compress = false});
    r.again = co_await device.write_flash(0x3F0000, prov, {});
    r.read_back = co_await device.read_flash(0x200000 + 10, 200);
    co_return r;
  });
  INFO(chip);
  REQUIRE(result.chip.facts);
  CHECK(result.chip.facts->name == chip);
  CHECK(result.chip.detected_by == (chip == "esp32" || chip == "esp32s2" ? "magic" : "security_info"));
  CHECK(result.mac == board.mac);
  CHECK(result.flash.size_bytes == 4u * 1024 * 1024);

  CHECK(result.compressed.written);
  CHECK(result.compressed.verified);
  CHECK(result.compressed.bytes_on_wire < prov.size());  // deflate paid off
  CHECK(file_bytes(board.flash, 0x3F0000, prov.size()) == prov);

  CHECK(result.plain.verified);
  CHECK(result.plain.bytes_on_wire > odd.size());
  CHECK(file_bytes(board.flash, 0x200000, odd.size()) == odd);
  CHECK(file_bytes(board.flash, 0x200000 + odd.size(), 0x400 - 100) == Bytes(0x400 - 100, 0xFF));

  CHECK(result.again.skipped);
  CHECK_FALSE(result.again.written);
  CHECK(result.again.bytes_on_wire < 200);
  CHECK(result.read_back == Bytes(odd.begin() + 10, odd.begin() + 210));
}

TEST_CASE("a region changed on the board is written again, not skipped", "[loader][sim]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  const Bytes data = pattern(0x1000, 3);
  auto first = with_loader<loader::WriteResult>(board.port, [&](loader::Loader& device) {
    return device.write_flash(0x100000, data, {});
  });
  CHECK(first.written);
  {
    std::fstream f(board.flash, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0x100000 + 77);
    f.put('\0');
  }
  auto second = with_loader<loader::WriteResult>(board.port, [&](loader::Loader& device) {
    return device.write_flash(0x100000, data, {});
  });
  CHECK_FALSE(second.skipped);
  CHECK(second.verified);
  CHECK(file_bytes(board.flash, 0x100000, data.size()) == data);
}

TEST_CASE("flash changed behind the loader's back fails verification with both MD5s", "[loader][sim]") {
  SimRun sim(1, "esp32s3");
  const auto& board = sim.devices().at(0);
  const Bytes data = pattern(0x4000, 4);
  // The flash file is the board's flash: damaging it right after the last packet is a flash that lost bits.
  auto damage = [&](const provision::ProgressEvent& e) {
    if (e.step == "loader" && e.fraction == 1.0 && e.message.rfind("wrote", 0) == 0) {
      std::fstream f(board.flash, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(0x300000 + 5);
      f.put('\0');
    }
  };
  try {
    with_loader<loader::WriteResult>(
        board.port, [&](loader::Loader& device) { return device.write_flash(0x300000, data, {.compress = false}); },
        damage);
    FAIL("verification passed");
  } catch (const provision::Error& e) {
    CHECK(e.code() == provision::ErrorCode::flash_verify);
    CHECK(std::string(e.what()).find(loader::md5_hex(data)) != std::string::npos);
  }
}

TEST_CASE("erase_region leaves whole sectors at 0xFF and refuses unaligned regions", "[loader][sim]") {
  SimRun sim(1, "esp32c6");
  const auto& board = sim.devices().at(0);
  with_loader<int>(board.port, [&](loader::Loader& device) -> asio::awaitable<int> {
    co_await device.write_flash(0x10000, pattern(0x2000, 5), {});
    co_await device.erase_region(0x10000, 0x1000);
    bool refused = false;
    try {
      co_await device.erase_region(0x10001, 0x1000);
    } catch (const provision::Error& e) {
      refused = e.code() == provision::ErrorCode::bad_input;
    }
    CHECK(refused);
    co_return 0;
  });
  CHECK(file_bytes(board.flash, 0x10000, 0x1000) == Bytes(0x1000, 0xFF));
  const Bytes written = pattern(0x2000, 5);
  CHECK(file_bytes(board.flash, 0x11000, 0x1000) == Bytes(written.begin() + 0x1000, written.end()));
}

}  // namespace loader_sim_test
