// The simulator's flash-level power cut (`--fault-power-cut-after N`, `power-cut`/`flash-ops` on the control
// socket) on real pseudo-terminals: the board goes silent at the cut and boots from its flash after a reset; and a
// cut during the station's flash of the credentials partition leaves a board that is not provisioned, never half.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <utility>

#include "provision/nvs.hpp"
#include "sim/rom_client.hpp"
#include "sim/sim_console.hpp"
#include "sim/sim_run.hpp"

namespace power_cut_test {

using sim_test::Bytes;
using sim_test::RomClient;
using sim_test::SimRun;

namespace {

constexpr std::uint32_t kProvOffset = 0x3F0000;  // the bundled partition table's `prov` (PROTOCOL.md §1)
constexpr std::uint32_t kProvSize = 0x10000;

using Console = sim_test::SimConsole;

nlohmann::json flash_ops(const SimRun& sim) {
  return nlohmann::json::parse(sim.control("flash-ops 0")).at(0);
}

std::vector<std::uint8_t> credentials_image() {
  provision::nvs::Content content;
  content.add("provision", "uuid", provision::nvs::Value::string("0b5a8a53-3a0e-4c4e-9d0f-0c4d1f6c2a77"));
  content.add("provision", "psk", provision::nvs::Value::string(std::string(64, 'a')));
  content.add("provision", "mac", provision::nvs::Value::string("24:0A:C4:12:34:56"));
  content.add("provision", "device_cert",
              provision::nvs::Value::string("-----BEGIN CERTIFICATE-----\n" + std::string(2400, 'C') + "\n"));
  content.add("provision", "device_key", provision::nvs::Value::string(std::string(1700, 'K')));
  content.add("provision", "ca_cert", provision::nvs::Value::string(std::string(1300, 'A')));
  provision::nvs::BuildOptions options;
  options.size_bytes = kProvSize;
  return provision::nvs::build_image(content, options);
}

}  // namespace

TEST_CASE("sim power cut: a cut command leaves the board silent until reset, it then boots from flash",
          "[sim][power_cut]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  Console console(sim.devices()[0].port);
  console.require_boot_after_reset(sim);
  console.send("AT+POP?");
  const std::string pop = console.until("+POP:");
  REQUIRE(pop.find("+POP:") != std::string::npos);
  console.until("OK");

  // Per-command count of flash operations over the control socket.
  const auto before = flash_ops(sim).at("operations").get<std::uint64_t>();
  console.send("AT+WIFI_ADD=\"first\",\"password-1\"");
  REQUIRE(console.until("OK").find("OK") != std::string::npos);
  const auto add_ops = flash_ops(sim).at("operations").get<std::uint64_t>() - before;
  CHECK(add_ops > 2);

  // The next command is cut at its third flash operation: no answer, the board is off.
  REQUIRE(sim.control("power-cut 0 2") == "ok");
  console.send("AT+WIFI_ADD=\"second\",\"password-2\"");
  CHECK(console.until("OK", std::chrono::milliseconds(1500)).find("OK") == std::string::npos);
  CHECK(flash_ops(sim).at("powered") == false);
  console.send("AT");
  CHECK(console.until("OK", std::chrono::milliseconds(500)).find("OK") == std::string::npos);

  REQUIRE(sim.control("reset 0") == "ok");
  REQUIRE(console.until("+READY").find("+READY") != std::string::npos);
  CHECK(flash_ops(sim).at("powered") == true);
  console.send("AT+WIFI_LIST?");
  const std::string list = console.until("OK");
  CHECK(list.find("+WIFI_LIST:0,\"first\"") != std::string::npos);
  CHECK(list.find("\"second\"") == std::string::npos);  // cut before its commit point: the list before
  console.send("AT+POP?");
  CHECK(console.until("+POP:").find(pop.substr(pop.find("+POP:"), 5 + 64)) != std::string::npos);
}

TEST_CASE("sim power cut: --fault-power-cut-after cuts the first boot's PoP write, the next boot makes one",
          "[sim][power_cut]") {
  SimRun sim(1, "esp32c3", {"--boot", "app", "--fault-power-cut-after", "0"});
  Console console(sim.devices()[0].port);
  CHECK(console.until("+READY", std::chrono::milliseconds(1500)).find("+READY") == std::string::npos);
  CHECK(flash_ops(sim).at("powered") == false);
  REQUIRE(sim.control("reset 0") == "ok");
  REQUIRE(console.until("+READY").find("+READY") != std::string::npos);
  console.send("AT+POP?");
  CHECK(console.until("+POP:").find("+POP:") != std::string::npos);
}

TEST_CASE(
    "sim power cut: a cut during the station's flash of the credentials partition leaves a board that is "
    "not provisioned",
    "[sim][power_cut]") {
  const auto image = credentials_image();
  std::size_t content_bytes = 0;
  for (std::size_t i = 0; i < image.size(); ++i) {
    if (image[i] != 0xFF) content_bytes = i + 1;
  }
  constexpr std::uint32_t kBlock = 0x400;
  const std::size_t blocks = image.size() / kBlock;
  const std::size_t content_blocks = (content_bytes + kBlock - 1) / kBlock;
  SimRun sim(1, "esp32c3", {"--boot", "download"});
  Console console(sim.devices()[0].port);
  int not_provisioned = 0, whole = 0;
  // Operation 0 is FLASH_BEGIN's erase, operation 1 + n the n-th block; every block with content, a few after.
  std::vector<std::size_t> cuts;
  for (std::size_t op = 0; op <= content_blocks + 1; ++op) cuts.push_back(op);
  cuts.push_back(blocks / 2);
  cuts.push_back(blocks);  // the last block (all 0xFF padding)
  for (std::size_t cut : cuts) {
    INFO("cut at flash operation " << cut << " of the credentials write (" << content_blocks << " blocks of content)");
    REQUIRE(sim.control("download 0") == "ok");
    RomClient& rom = console.port();
    REQUIRE(rom.sync() > 0);
    REQUIRE(rom.must(0x0D, RomClient::words({0, 0})).ok());  // SPI_ATTACH
    REQUIRE(sim.control("power-cut 0 " + std::to_string(cut)) == "ok");
    auto reply =
        rom.command(0x02, RomClient::words({kProvSize, static_cast<std::uint32_t>(blocks), kBlock, kProvOffset}), 0,
                    std::chrono::seconds(3));
    for (std::uint32_t seq = 0; reply && seq < blocks; ++seq) {
      Bytes chunk(image.begin() + seq * kBlock, image.begin() + (seq + 1) * kBlock);
      Bytes packet = RomClient::words({kBlock, seq, 0, 0});
      packet.insert(packet.end(), chunk.begin(), chunk.end());
      reply = rom.command(0x03, packet, RomClient::checksum(chunk), std::chrono::milliseconds(800));
    }
    CHECK_FALSE(reply.has_value());  // the board went off mid-write
    CHECK(flash_ops(sim).at("powered") == false);
    REQUIRE(sim.control("power-cut 0 off") == "ok");
    REQUIRE(sim.control("reset 0") == "ok");
    REQUIRE(console.until("+READY").find("+READY") != std::string::npos);
    console.send("AT+INFO?");
    const std::string info = console.until("OK");
    const bool none = info.find("+INFO:uuid,\"\"") != std::string::npos &&
                      info.find("+INFO:credentials,no") != std::string::npos &&
                      info.find("+INFO:cert,no") != std::string::npos;
    const bool all = info.find("+INFO:uuid,\"0b5a8a53-3a0e-4c4e-9d0f-0c4d1f6c2a77\"") != std::string::npos &&
                     info.find("+INFO:credentials,yes") != std::string::npos &&
                     info.find("+INFO:cert,yes") != std::string::npos;
    CHECK((none || all));
    // While a block with content was still to come, the identity is incomplete: none.
    if (cut <= content_blocks) CHECK(none);
    not_provisioned += none;
    whole += all;
  }
  CHECK(not_provisioned >= static_cast<int>(content_blocks) + 1);
  CHECK(whole >= 1);
}

}  // namespace power_cut_test
