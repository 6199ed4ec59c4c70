// The simulator's ROM download mode, driven over its pseudo-terminal by a test-side client.
#include <openssl/evp.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "sim/rom_client.hpp"
#include "sim/sim_run.hpp"

namespace download_mode_test {

using sim_test::Bytes;
using sim_test::RomClient;
using sim_test::SimRun;

namespace {

Bytes pattern(std::size_t size, std::uint8_t seed) {
  Bytes out(size);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : out) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 16);
  }
  return out;
}

std::string md5_hex(const Bytes& data) {
  unsigned char digest[16];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (auto b : digest) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

Bytes mac_bytes(const std::string& text) {
  Bytes out;
  for (std::size_t i = 0; i < text.size(); i += 3) out.push_back(static_cast<std::uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
  return out;
}

struct ChipExpectation {
  const char* chip;
  std::uint32_t magic;
  std::uint32_t mac_word0;
  std::uint32_t spi_base;
};

// Values as esptool's targets list them (CHIP_DETECT_MAGIC_VALUE, MAC_EFUSE_REG, SPI_REG_BASE).
const ChipExpectation kChips[] = {
    {"esp32", 0x00F01D83, 0x3FF5A004, 0x3FF42000},   {"esp32s2", 0x000007C6, 0x3F41A044, 0x3F402000},
    {"esp32s3", 0x00000009, 0x60007044, 0x60002000}, {"esp32c2", 0x6F51306F, 0x60008840, 0x60002000},
    {"esp32c3", 0x6921506F, 0x60008844, 0x60002000}, {"esp32c6", 0x2CE0806F, 0x600B0844, 0x60003000},
    {"esp32h2", 0xD7B73E80, 0x600B0844, 0x60003000},
};

}  // namespace

TEST_CASE("sim: the ROM answers one SYNC with eight responses carrying a non-zero value", "[sim]") {
  SimRun sim(1, "esp32c3");
  RomClient client(sim.devices()[0].port);
  std::uint32_t value = 0;
  CHECK(client.sync(&value) == 8);
  CHECK(value != 0);
}

TEST_CASE("sim: every chip answers its detection magic and its eFuse MAC words", "[sim]") {
  for (const auto& expected : kChips) {
    INFO(expected.chip);
    SimRun sim(1, expected.chip);
    RomClient client(sim.devices()[0].port);
    REQUIRE(client.sync() == 8);
    CHECK(client.read_reg(0x40001000) == expected.magic);
    const std::uint32_t word0 = client.read_reg(expected.mac_word0);
    const std::uint32_t word1 = client.read_reg(expected.mac_word0 + 4);
    Bytes mac{static_cast<std::uint8_t>(word1 >> 8), static_cast<std::uint8_t>(word1), static_cast<std::uint8_t>(word0 >> 24),
              static_cast<std::uint8_t>(word0 >> 16), static_cast<std::uint8_t>(word0 >> 8), static_cast<std::uint8_t>(word0)};
    CHECK(mac == mac_bytes(sim.devices()[0].mac));
    // The JEDEC id read through the SPI controller's registers encodes the 4 MiB flash (capacity code 0x16).
    CHECK(client.spi_flash_id(expected.spi_base, 0x18 + (expected.spi_base == 0x3FF42000 ? 4 : 0),
                              0x20 + (expected.spi_base == 0x3FF42000 ? 4 : 0),
                              0x28 + (expected.spi_base == 0x3FF42000 ? 4 : 0),
                              expected.spi_base == 0x3FF42000 ? 0x80 : 0x58) == 0x1640EF);
  }
}

TEST_CASE("sim: GET_SECURITY_INFO reports the chip id, and the ESP32 ROM rejects it as unknown", "[sim]") {
  {
    SimRun sim(1, "esp32c3");
    RomClient client(sim.devices()[0].port);
    REQUIRE(client.sync() == 8);
    auto r = client.must(0x14, {});
    REQUIRE(r.ok());
    REQUIRE(r.data.size() == 20);
    CHECK(r.data[12] == 5);  // ESP32-C3 chip id
  }
  {
    SimRun sim(1, "esp32");
    RomClient client(sim.devices()[0].port);
    REQUIRE(client.sync() == 8);
    auto r = client.must(0x14, {});
    CHECK(r.status == 1);
    CHECK(r.error == 0x05);
  }
}

TEST_CASE("sim: a flash write lands in the image, reads back, and its MD5 matches", "[sim]") {
  SimRun sim(1, "esp32c3");
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  REQUIRE(client.must(0x0D, RomClient::words({0, 0})).ok());  // SPI_ATTACH
  const Bytes data = pattern(5000, 7);
  REQUIRE(client.write_flash(0x3F0000, data).ok());
  CHECK(client.flash_md5(0x3F0000, 5000) == md5_hex(data));
  CHECK(client.read_flash_slow(0x3F0000 + 100, 200) == Bytes(data.begin() + 100, data.begin() + 300));

  std::ifstream image(sim.devices()[0].flash, std::ios::binary);
  image.seekg(0x3F0000);
  Bytes stored(5000);
  image.read(reinterpret_cast<char*>(stored.data()), 5000);
  CHECK(stored == data);
}

TEST_CASE("sim: a deflated write is inflated into flash", "[sim]") {
  SimRun sim(1, "esp32s3");
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  Bytes data = pattern(40000, 3);
  std::fill(data.begin() + 10000, data.begin() + 30000, 0x00);  // something deflate can shrink
  REQUIRE(client.write_flash_deflated(0x10000, data).ok());
  CHECK(client.flash_md5(0x10000, 40000) == md5_hex(data));
}

TEST_CASE("sim: writing over unerased flash ANDs the bits and the ROM reports a write error", "[sim]") {
  SimRun sim(1, "esp32c3");
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  const Bytes first(1024, 0xF0);
  REQUIRE(client.write_flash(0x200000, first).ok());
  // FLASH_BEGIN with erase size 0 erases nothing; the block then programs on top of 0xF0.
  REQUIRE(client.must(0x02, RomClient::words({0, 1, 1024, 0x200000})).ok());
  Bytes packet = RomClient::words({1024, 0, 0, 0});
  const Bytes second(1024, 0x3C);
  packet.insert(packet.end(), second.begin(), second.end());
  auto r = client.must(0x03, packet, RomClient::checksum(second));
  CHECK(r.status == 1);
  CHECK(r.error == 0x08);
  CHECK(client.read_flash_slow(0x200000, 64) == Bytes(64, 0x30));
}

TEST_CASE("sim: FLASH_BEGIN erases whole sectors to 0xFF", "[sim]") {
  SimRun sim(1, "esp32c3");
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  REQUIRE(client.write_flash(0x100000, Bytes(8192, 0x00)).ok());
  REQUIRE(client.must(0x02, RomClient::words({1, 0, 1024, 0x101000})).ok());  // touches the second sector only
  CHECK(client.read_flash_slow(0x100FC0, 64) == Bytes(64, 0x00));
  CHECK(client.read_flash_slow(0x101000, 64) == Bytes(64, 0xFF));
  CHECK(client.read_flash_slow(0x101FC0, 64) == Bytes(64, 0xFF));
}

TEST_CASE("sim: bad input gets the ROM's error codes", "[sim]") {
  SimRun sim(1, "esp32c3");
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  REQUIRE(client.must(0x02, RomClient::words({1024, 1, 1024, 0})).ok());
  Bytes block(1024, 0x11);
  Bytes packet = RomClient::words({1024, 0, 0, 0});
  packet.insert(packet.end(), block.begin(), block.end());

  SECTION("a wrong data checksum is 0x07") {
    auto r = client.must(0x03, packet, RomClient::checksum(block) ^ 0x01);
    CHECK(r.status == 1);
    CHECK(r.error == 0x07);
  }
  SECTION("a data size field that disagrees with the block is 0x05") {
    Bytes wrong = RomClient::words({1000, 0, 0, 0});
    wrong.insert(wrong.end(), block.begin(), block.end());
    auto r = client.must(0x03, wrong, RomClient::checksum(block));
    CHECK(r.status == 1);
    CHECK(r.error == 0x05);
  }
  SECTION("an unknown command is 0x05") {
    auto r = client.must(0x5E, {});
    CHECK(r.status == 1);
    CHECK(r.error == 0x05);
  }
  SECTION("a READ_FLASH_SLOW longer than 64 bytes is 0x0A") {
    auto r = client.must(0x0E, RomClient::words({0, 65}));
    CHECK(r.status == 1);
    CHECK(r.error == 0x0A);
  }
  SECTION("a read beyond the flash is 0x09") {
    auto r = client.must(0x0E, RomClient::words({0x400000, 16}));
    CHECK(r.status == 1);
    CHECK(r.error == 0x09);
  }
  SECTION("garbage deflate data is 0x0B") {
    REQUIRE(client.must(0x10, RomClient::words({4096, 1, 1024, 0x1000})).ok());
    auto r = client.must(0x11, packet, RomClient::checksum(block));
    CHECK(r.status == 1);
    CHECK(r.error == 0x0B);
  }
}

TEST_CASE("sim: CHANGE_BAUDRATE is acknowledged and the link keeps working", "[sim]") {
  SimRun sim(1, "esp32c6", {"--baud-pacing", "on"});
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  REQUIRE(client.must(0x0F, RomClient::words({921600, 0})).ok());
  CHECK(client.read_reg(0x40001000) == 0x2CE0806F);
}

TEST_CASE("sim: a data block sent again is acknowledged and applied once, one out of order is 0x05", "[sim]") {
  SimRun sim(1, "esp32c3");
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  Bytes data(3000);
  std::uint32_t x = 12345;
  for (auto& byte : data) {
    x = x * 1103515245u + 12345u;  // random-looking bytes: the stream stays several 256-byte blocks long
    byte = static_cast<std::uint8_t>(x >> 24);
  }
  uLongf packed_size = compressBound(data.size());
  Bytes packed(packed_size);
  compress2(packed.data(), &packed_size, data.data(), data.size(), 9);
  packed.resize(packed_size);
  const std::uint32_t block = 256;
  const auto blocks = static_cast<std::uint32_t>((packed.size() + block - 1) / block);
  REQUIRE(blocks >= 3);
  REQUIRE(client.must(0x10, RomClient::words({static_cast<std::uint32_t>(data.size()), blocks, block, 0x100000}))
              .ok());
  auto send = [&](std::uint32_t seq) {
    Bytes chunk(packed.begin() + seq * block, packed.begin() + std::min<std::size_t>(packed.size(), (seq + 1) * block));
    Bytes packet = RomClient::words({static_cast<std::uint32_t>(chunk.size()), seq, 0, 0});
    packet.insert(packet.end(), chunk.begin(), chunk.end());
    return client.must(0x11, packet, RomClient::checksum(chunk));
  };
  CHECK(send(0).ok());
  CHECK(send(0).ok());  // its answer was lost: the host sends it again
  auto skipped = send(2);
  CHECK(skipped.status == 1);
  CHECK(skipped.error == 0x05);
  for (std::uint32_t seq = 1; seq < blocks; ++seq) REQUIRE(send(seq).ok());
  CHECK(client.flash_md5(0x100000, static_cast<std::uint32_t>(data.size())) == md5_hex(data));
}

TEST_CASE("sim: ESP32-C6 and ESP32-H2 hold MAC_EXT ff:fe above the MAC's first two bytes", "[sim]") {
  for (const char* chip : {"esp32c6", "esp32h2", "esp32c3"}) {
    INFO(chip);
    SimRun sim(1, chip);
    RomClient client(sim.devices()[0].port);
    REQUIRE(client.sync() == 8);
    const std::uint32_t word0_address = std::string(chip) == "esp32c3" ? 0x60008844 : 0x600B0844;
    const std::uint32_t word1 = client.read_reg(word0_address + 4);
    CHECK((word1 >> 16) == (std::string(chip) == "esp32c3" ? 0x0000u : 0xFFFEu));
    const Bytes mac = mac_bytes(sim.devices()[0].mac);
    CHECK(((word1 >> 8) & 0xFF) == mac[0]);
    CHECK((word1 & 0xFF) == mac[1]);
  }
}

TEST_CASE("sim: a board in Secure Download Mode reports it and refuses what the ROM refuses", "[sim]") {
  SimRun sim(1, "esp32c3", {"--secure-download", "on"});
  RomClient client(sim.devices()[0].port);
  REQUIRE(client.sync() == 8);
  auto security = client.must(0x14, {});
  REQUIRE(security.ok());
  REQUIRE(security.data.size() == 20);
  CHECK((security.data[0] & 0x04) != 0);  // SECURE_DOWNLOAD_ENABLE
  CHECK(security.data[4] == 0);           // flash encryption off
  CHECK(security.data[12] == 5);
  // Refused: registers, RAM, flash reads and MD5, compressed writes (esptool docs, "Supported in Secure Download
  // Mode").
  const std::pair<std::uint8_t, Bytes> refused[] = {
      {0x0A, RomClient::words({0x60008844})},
      {0x09, RomClient::words({0x60002000, 0, 0xFFFFFFFF, 0})},
      {0x05, RomClient::words({0x100, 1, 0x100, 0x3FC80000})},
      {0x0E, RomClient::words({0, 64})},
      {0x13, RomClient::words({0, 0x1000, 0, 0})},
      {0x10, RomClient::words({0x1000, 1, 0x400, 0x100000, 0})},
  };
  for (const auto& [op, body] : refused) {
    INFO("command 0x" << std::hex << int(op));
    auto r = client.must(op, body);
    CHECK(r.status == 1);
    CHECK(r.error == 0x05);
  }
  // Answered: attach, parameters, plain writes.
  CHECK(client.must(0x0D, RomClient::words({0, 0})).ok());
  CHECK(client.must(0x0B, RomClient::words({0, 4u << 20, 0x10000, 0x1000, 0x100, 0xFFFF})).ok());
  const Bytes data = pattern(0x800, 9);
  CHECK(client.write_flash(0x100000, data).ok());
  std::ifstream in(sim.devices()[0].flash, std::ios::binary);
  in.seekg(0x100000);
  Bytes stored(data.size());
  in.read(reinterpret_cast<char*>(stored.data()), static_cast<std::streamsize>(stored.size()));
  CHECK(stored == data);
}

TEST_CASE("sim: flash encryption shows in FLASH_CRYPT_CNT, the ESP32 takes neither mode", "[sim]") {
  {
    SimRun sim(1, "esp32s2", {"--flash-encryption", "on"});
    RomClient client(sim.devices()[0].port);
    REQUIRE(client.sync() == 8);
    auto security = client.must(0x14, {});
    REQUIRE(security.ok());
    REQUIRE(security.data.size() == 12);
    CHECK(security.data[4] == 1);
    CHECK((security.data[0] & 0x04) == 0);
  }
  auto refused = test_support::run_process({test_support::bin_path("espprov-sim").string(), "--count", "1",
                                            "--chip", "esp32", "--state", "unused", "--secure-download", "on"});
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("GET_SECURITY_INFO") != std::string::npos);
}

}  // namespace download_mode_test
