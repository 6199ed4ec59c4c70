// espprov-sim as a process: device list, flash images, many devices, the control socket, faults, pacing.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <chrono>
#include <fstream>
#include <set>

#include "sim/rom_client.hpp"
#include "sim/sim_run.hpp"

namespace simulator_test {

using sim_test::Bytes;
using sim_test::RomClient;
using sim_test::SimRun;

namespace {

Bytes read_file_range(const std::string& path, std::size_t offset, std::size_t length) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  Bytes out(length);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(length));
  return out;
}

std::uint32_t le32(const Bytes& b, std::size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | std::uint32_t{b[at + 3]} << 24;
}

}  // namespace

TEST_CASE("sim: devices get distinct MACs that the seed reproduces", "[sim]") {
  test_support::TempDir state_a, state_b;
  std::vector<std::string> first, second;
  {
    SimRun sim(state_a, 8, "esp32c3", {"--seed", "42"});
    for (const auto& d : sim.devices()) first.push_back(d.mac);
    CHECK(sim.devices()[0].chip == "esp32c3");
  }
  {
    SimRun sim(state_b, 8, "esp32c3", {"--seed", "42"});
    for (const auto& d : sim.devices()) second.push_back(d.mac);
  }
  CHECK(first == second);
  CHECK(std::set<std::string>(first.begin(), first.end()).size() == 8);
  SimRun other(1, "esp32c3", {"--seed", "43"});
  CHECK(other.devices()[0].mac != first[0]);
}

TEST_CASE("sim: a new flash image is erased with the partition table at 0x8000", "[sim]") {
  SimRun sim(1, "esp32c3");
  const auto& flash = sim.devices()[0].flash;
  CHECK(std::filesystem::file_size(flash) == 4u << 20);
  CHECK(read_file_range(flash, 0, 16) == Bytes(16, 0xFF));
  const Bytes table = read_file_range(flash, 0x8000, 32 * 6);
  // nvs, phy_init, factory, prov, then the MD5 entry.
  CHECK(table[0] == 0xAA);
  CHECK(table[1] == 0x50);
  CHECK(std::string(reinterpret_cast<const char*>(&table[32 * 3 + 12])) == "prov");
  CHECK(le32(table, 32 * 3 + 4) == 0x3F0000);
  CHECK(le32(table, 32 * 3 + 8) == 0x10000);
  CHECK(table[32 * 4] == 0xEB);
  CHECK(table[32 * 5] == 0xFF);
}

TEST_CASE("sim: a prov partition beyond 4 MiB grows the flash, or is refused with an explicit size", "[sim]") {
  SimRun sim(1, "esp32", {"--prov-offset", "0xA20000"});
  CHECK(std::filesystem::file_size(sim.devices()[0].flash) == 16u << 20);
  test_support::TempDir state;
  auto result = test_support::run_process({test_support::bin_path("espprov-sim").string(), "--count", "1", "--state",
                                           state.path().string(), "--flash-size", "4MB", "--prov-offset", "0xA20000"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("prov partition") != std::string::npos);
}

TEST_CASE("sim: flash contents persist across simulator runs", "[sim]") {
  test_support::TempDir state;
  const Bytes data(256, 0x5A);
  {
    SimRun sim(state, 1, "esp32c3");
    RomClient client(sim.devices()[0].port);
    REQUIRE(client.sync() == 8);
    REQUIRE(client.write_flash(0x300000, data).ok());
  }
  SimRun sim(state, 1, "esp32c3");
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  CHECK(client.read_flash_slow(0x300000, 64) == Bytes(64, 0x5A));
}

TEST_CASE("sim: 32 devices in one process all answer", "[sim]") {
  SimRun sim(32, "esp32c3", {"--baud-pacing", "on"});
  REQUIRE(sim.devices().size() == 32);
  std::vector<std::unique_ptr<RomClient>> clients;
  for (const auto& d : sim.devices()) clients.push_back(std::make_unique<RomClient>(d.port));
  for (auto& c : clients) CHECK(c->sync() == 8);
  for (auto& c : clients) CHECK(c->read_reg(0x40001000) == 0x6921506F);
}

TEST_CASE("sim: a port can be closed and opened again", "[sim]") {
  SimRun sim(1, "esp32c3");
  for (int round = 0; round < 3; ++round) {
    RomClient client(sim.devices()[0].port);
    CHECK(client.sync() == 8);
  }
}

TEST_CASE("sim: boot noise is the ROM banner", "[sim]") {
  SimRun sim(1, "esp32c3");
  RomClient client(sim.devices()[0].port);
  CHECK(sim.control("download 0") == "ok");
  auto text = client.read_text(std::chrono::milliseconds(300));
  CHECK(text.find("ESP-ROM:esp32c3-api1-20210207") != std::string::npos);
  CHECK(text.find("waiting for download") != std::string::npos);
}

TEST_CASE("sim: FLASH_END leaves the loader and the control socket brings it back", "[sim]") {
  SimRun sim(2, "esp32c3");
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  REQUIRE(client.write_flash(0x1000, Bytes(16, 0x00)).ok());
  REQUIRE(client.must(0x04, RomClient::words({1})).ok());
  client.read_text(std::chrono::milliseconds(200));
  CHECK(sim.control("list").find("\"mode\":\"app\"") != std::string::npos);
  CHECK_FALSE(client.command(0x0A, RomClient::words({0x40001000}), 0, std::chrono::milliseconds(300)));

  CHECK(sim.control("download " + sim.devices()[0].port) == "ok");
  CHECK(client.sync() == 8);
  CHECK(sim.control("bogus 0").rfind("error:", 0) == 0);
  CHECK(sim.control("download 7").rfind("error:", 0) == 0);
}

TEST_CASE("sim: SIGUSR1 puts every device into download mode", "[sim]") {
  SimRun sim(2, "esp32c3", {"--boot", "app"});
  CHECK(sim.control("list").find("download") == std::string::npos);
  ::kill(sim.process().pid(), SIGUSR1);
  RomClient client(sim.devices()[1].port);
  CHECK(client.sync() == 8);
  CHECK(sim.control("list").find("app") == std::string::npos);
}

TEST_CASE("sim: a stall fault silences the device until it is reset", "[sim]") {
  SimRun sim(1, "esp32c3", {"--fault-stall", "120"});
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);  // 46 bytes on the wire
  for (int i = 0; i < 10; ++i) client.command(0x0A, RomClient::words({0x40001000}), 0, std::chrono::milliseconds(100));
  CHECK_FALSE(client.command(0x0A, RomClient::words({0x40001000}), 0, std::chrono::milliseconds(300)));
  CHECK(sim.control("download 0") == "ok");
  CHECK(client.sync() == 8);
}

TEST_CASE("sim: a device that drops every byte never answers", "[sim]") {
  SimRun sim(1, "esp32c3", {"--fault-drop", "1"});
  RomClient client(sim.devices()[0].port);
  CHECK(client.sync() == 0);
}

TEST_CASE("sim: with baud pacing a transfer is never faster than the wire allows", "[sim]") {
  SimRun sim(1, "esp32c3", {"--baud-pacing", "on"});
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  const auto start = std::chrono::steady_clock::now();
  // 40 reads of 64 bytes: at least 40 * (16 + 76 SLIP bytes at minimum) * 10 bits at 115200 baud, about 320 ms.
  for (int i = 0; i < 40; ++i) REQUIRE(client.read_flash_slow(0, 64).size() == 64);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // The bound counts the fewest bytes each exchange can take (the comment above); a bound on the usual frame sizes
  // (24 + 84) sat within 0.3 ms of the measured time and failed now and then. Unpaced, this takes milliseconds.
  CHECK(elapsed >= std::chrono::milliseconds(40 * (16 + 76) * 10 * 1000 / 115200));
}

TEST_CASE("sim: swap plugs a blank board with another MAC into the same port", "[sim]") {
  SimRun sim(1, "esp32c3");
  const auto& before = sim.devices()[0];
  RomClient client(before.port);
  REQUIRE(client.sync() == 8);
  REQUIRE(client.write_flash(0x1000, Bytes(16, 0x00)).ok());

  auto answer = nlohmann::json::parse(sim.control("swap 0"));
  CHECK(answer["port"] == before.port);
  CHECK(answer["mac"] != before.mac);
  CHECK(answer["flash"] != before.flash);
  // The new board answers on the same port with its own eFuse MAC and blank flash.
  REQUIRE(client.sync() == 8);
  const std::uint32_t word0 = client.read_reg(0x60008844), word1 = client.read_reg(0x60008848);
  char mac[18];
  std::snprintf(mac, sizeof mac, "%02X:%02X:%02X:%02X:%02X:%02X", (word1 >> 8) & 0xFF, word1 & 0xFF,
                (word0 >> 24) & 0xFF, (word0 >> 16) & 0xFF, (word0 >> 8) & 0xFF, word0 & 0xFF);
  CHECK(answer["mac"] == std::string(mac));
  CHECK(client.read_flash_slow(0x1000, 16) == Bytes(16, 0xFF));
  CHECK(sim.control("swap all").rfind("error:", 0) == 0);
}

}  // namespace simulator_test
