// Fast reflashing against espprov-sim: the loader asks the MD5 of each 4 KiB sector and writes only the sectors
// that differ; --force writes them all; the record counts both.
#include <catch2/catch.hpp>

#include "loader/loader_support.hpp"
#include "sim/sim_run.hpp"

namespace reflash_sim_test {

using namespace loader_test;
using sim_test::SimRun;

namespace {

constexpr std::uint32_t kOffset = 0x3F0000;
constexpr std::size_t kSector = 0x1000;

loader::WriteResult write(const std::string& port, const Bytes& data, loader::WriteOptions options = {}) {
  return with_loader<loader::WriteResult>(
      port, [&](loader::Loader& device) { return device.write_flash(kOffset, data, options); });
}

}  // namespace

TEST_CASE("a write changes only the sectors whose MD5 differs", "[loader][sim][reflash]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  Bytes data = pattern(16 * kSector, 21);
  auto first = write(board.port, data);
  CHECK(first.sectors_total == 16);
  CHECK(first.sectors_written == 16);
  CHECK(first.verified);

  data[5 * kSector + 100] ^= 0x5A;  // one byte in sector 5
  auto second = write(board.port, data);
  CHECK(second.written);
  CHECK(second.verified);
  CHECK(second.sectors_total == 16);
  CHECK(second.sectors_written == 1);
  CHECK(second.bytes_on_wire < first.bytes_on_wire / 4);
  CHECK(file_bytes(board.flash, kOffset, data.size()) == data);
  auto fields = loader::write_fields(second);
  CHECK(fields["sectors_total"] == 16);
  CHECK(fields["sectors_written"] == 1);
}

TEST_CASE("a forced write (--force) writes every sector even when the flash holds the data", "[loader][sim][reflash]") {
  SimRun sim(1, "esp32s3");
  const auto& board = sim.devices().at(0);
  const Bytes data = pattern(4 * kSector + 300, 22);  // the last sector is partial
  write(board.port, data);
  auto forced = write(board.port, data, {.force = true});
  CHECK(forced.written);
  CHECK_FALSE(forced.skipped);
  CHECK(forced.sectors_total == 5);
  CHECK(forced.sectors_written == 5);
  auto again = write(board.port, data);
  CHECK(again.skipped);
  CHECK(again.sectors_written == 0);
}

TEST_CASE("on an erased board only the sectors that are not blank are written", "[loader][sim][reflash]") {
  SimRun sim(1, "esp32c6");
  const auto& board = sim.devices().at(0);
  Bytes data(16 * kSector, 0xFF);  // an NVS partition: two used pages, the rest erased
  const Bytes used = pattern(2 * kSector, 23);
  std::copy(used.begin(), used.end(), data.begin());
  auto result = write(board.port, data, {.compress = false});
  CHECK(result.sectors_written == 2);
  CHECK(result.verified);
  CHECK(file_bytes(board.flash, kOffset, data.size()) == data);
}

TEST_CASE("sectors that differ apart are written as separate sessions", "[loader][sim][reflash]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  Bytes data = pattern(8 * kSector, 24);
  write(board.port, data);
  data[1 * kSector] ^= 1;
  data[2 * kSector + 7] ^= 1;
  data[6 * kSector + 9] ^= 1;
  Events events;
  auto result = with_loader<loader::WriteResult>(
      board.port, [&](loader::Loader& device) { return device.write_flash(kOffset, data, {}); }, events.sink());
  CHECK(result.sectors_written == 3);
  CHECK(file_bytes(board.flash, kOffset, data.size()) == data);
}

}  // namespace reflash_sim_test
