// The loader subcommands through the real espprov executable against espprov-sim.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "loader/loader_support.hpp"
#include "sim/sim_run.hpp"
#include "support/process.hpp"

namespace loader_cli_test {

using namespace loader_test;
using sim_test::SimRun;
using test_support::run_process;

namespace {

test_support::ProcessResult espprov(std::vector<std::string> args) {
  args.insert(args.begin(), test_support::bin_path("espprov").string());
  return run_process(args);
}

nlohmann::json record_of(const test_support::ProcessResult& result) {
  INFO(result.err);
  return nlohmann::json::parse(result.out);
}

void write_bytes(const std::filesystem::path& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

}  // namespace

TEST_CASE("espprov chip and mac --port print the device record", "[loader][cli]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  auto chip = espprov({"chip", "--port", board.port, "--before", "no-reset", "--after", "no-reset"});
  REQUIRE(chip.exit_code == 0);
  auto record = record_of(chip);
  CHECK(record["ok"] == true);
  CHECK(record["port"] == board.port);
  CHECK(record["chip"] == "esp32c3");
  CHECK(record["mac"] == board.mac);
  CHECK(record["flash_size"] == "4MB");
  CHECK(record["features"].is_array());

  // Default reset on a pty: a warning on stderr, and the run goes on.
  auto mac = espprov({"mac", "--port", board.port, "--after", "no-reset"});
  REQUIRE(mac.exit_code == 0);
  CHECK(mac.err.find("warning") != std::string::npos);
  CHECK(record_of(mac)["mac"] == board.mac);
}

TEST_CASE("espprov flash writes, verifies, then skips the same image", "[loader][cli]") {
  SimRun sim(1, "esp32s3");
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  const Bytes image = pattern(0x3000, 11);
  write_bytes(dir / "prov.bin", image);
  std::vector<std::string> args{"flash", "--port", board.port, "--before", "no-reset", "--after", "no-reset",
                                "--offset", "0x3F0000", (dir / "prov.bin").string()};
  auto first = espprov(args);
  REQUIRE(first.exit_code == 0);
  auto record = record_of(first);
  CHECK(record["offset"] == "0x3F0000");
  CHECK(record["size"] == "0x3000");  // hex, like offset and nvs_size
  CHECK(record["md5"] == loader::md5_hex(image));
  CHECK(record["flash_verified"] == true);
  CHECK(record["flash_skipped"] == false);
  CHECK_FALSE(record.contains("verified"));  // provision's identity check, not the flash MD5
  CHECK_FALSE(record.contains("skipped"));
  CHECK(record["bytes_on_wire"].get<int>() > 0);
  CHECK(file_bytes(board.flash, 0x3F0000, image.size()) == image);

  auto again = espprov(args);
  REQUIRE(again.exit_code == 0);
  CHECK(record_of(again)["flash_skipped"] == true);
  args.push_back("--force");
  args.push_back("--no-compress");
  auto forced = espprov(args);
  REQUIRE(forced.exit_code == 0);
  CHECK(record_of(forced)["flash_skipped"] == false);
  CHECK(record_of(forced)["compressed"] == false);
}

TEST_CASE("espprov read-flash, erase-region and reset", "[loader][cli]") {
  SimRun sim(1, "esp32");
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  std::vector<std::string> common{"--port", board.port, "--before", "no-reset", "--after", "no-reset"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return espprov(args);
  };
  auto read = with({"read-flash", "--offset", "0x8000", "--size", "200", "--out", (dir / "table.bin").string()});
  REQUIRE(read.exit_code == 0);
  auto table = file_bytes((dir / "table.bin").string(), 0, 1000);
  CHECK(table == file_bytes(board.flash, 0x8000, 200));
  CHECK(table.at(0) == 0xAA);  // the partition table's entry magic (0x50AA, little-endian)
  CHECK(record_of(read)["size"] == "0xC8");  // 200 bytes, written in hex like every region size
  // Flash may hold the credentials partition: the dump is readable by its owner only.
  CHECK((std::filesystem::status(dir / "table.bin").permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

  auto erase = with({"erase-region", "--offset", "0x8000", "--size", "0x1000"});
  REQUIRE(erase.exit_code == 0);
  CHECK(file_bytes(board.flash, 0x8000, 0x1000) == Bytes(0x1000, 0xFF));
  CHECK(record_of(erase)["size"] == "0x1000");

  auto unaligned = with({"erase-region", "--offset", "0x8001", "--size", "0x1000"});
  CHECK(unaligned.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  CHECK(record_of(unaligned)["error"]["field"] == "offset");

  auto reset = espprov({"reset", "--port", board.port, "--before", "no-reset"});
  REQUIRE(reset.exit_code == 0);
  CHECK(sim.control("list").find("\"mode\":\"app\"") != std::string::npos);
}

TEST_CASE("espprov --trace shows the bytes, bad offsets and ports exit with their codes", "[loader][cli]") {
  SimRun sim(1, "esp32c6");
  const auto& board = sim.devices().at(0);
  auto traced = espprov({"chip", "--port", board.port, "--before", "no-reset", "--after", "no-reset", "--trace"});
  REQUIRE(traced.exit_code == 0);
  CHECK(traced.err.find(board.port + " >> 0000: c0 00 08 24") != std::string::npos);
  CHECK(traced.err.find(" << ") != std::string::npos);

  auto bad = espprov({"flash", "--port", board.port, "--offset", "0x3G", "/dev/null"});
  CHECK(bad.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  CHECK(bad.err.find("0x3G") != std::string::npos);

  auto missing = espprov({"chip", "--port", "/dev/espprov-no-such-port"});
  CHECK(missing.exit_code == provision::exit_code_of(provision::ErrorCode::port_unavailable));
}

TEST_CASE("espprov on a board in Secure Download Mode: chip reports it, mac and verified flash exit 19",
          "[loader][cli][sdm]") {
  SimRun sim(1, "esp32c3", {"--secure-download", "on"});
  const auto& board = sim.devices().at(0);
  const std::vector<std::string> common{"--port", board.port, "--before", "no-reset", "--after", "no-reset"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin() + 1, common.begin(), common.end());
    return espprov(args);
  };
  auto chip = with({"chip"});
  REQUIRE(chip.exit_code == 0);
  auto record = record_of(chip);
  CHECK(record["chip"] == "esp32c3");
  CHECK(record["secure_download"] == true);
  CHECK(record["flash_encryption"] == false);
  CHECK_FALSE(record.contains("mac"));  // READ_REG is refused: no MAC

  auto mac = with({"mac"});
  CHECK(mac.exit_code == provision::exit_code_of(provision::ErrorCode::secure_download));
  CHECK(mac.err.find("Secure Download Mode") != std::string::npos);

  test_support::TempDir dir;
  const Bytes image = pattern(0x2000, 41);
  write_bytes(dir / "prov.bin", image);
  auto flash = with({"flash", "--offset", "0x3F0000", (dir / "prov.bin").string()});
  CHECK(flash.exit_code == provision::exit_code_of(provision::ErrorCode::secure_download));
  CHECK(flash.err.find("--no-verify") != std::string::npos);
  CHECK(file_bytes(board.flash, 0x3F0000, image.size()) != image);
  auto unverified = with({"flash", "--offset", "0x3F0000", "--no-verify", (dir / "prov.bin").string()});
  REQUIRE(unverified.exit_code == 0);
  auto written = record_of(unverified);
  CHECK(written["flash_verified"] == false);
  CHECK(written["sectors_written"] == 2);
  CHECK(file_bytes(board.flash, 0x3F0000, image.size()) == image);
}

TEST_CASE("espprov flash reports sectors_total and sectors_written", "[loader][cli][reflash]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  Bytes image = pattern(0x4000, 42);
  write_bytes(dir / "prov.bin", image);
  std::vector<std::string> args{"flash", "--port", board.port, "--before", "no-reset", "--after", "no-reset",
                                "--offset", "0x3F0000", (dir / "prov.bin").string()};
  REQUIRE(espprov(args).exit_code == 0);
  image[0x2000] ^= 0xFF;
  write_bytes(dir / "prov.bin", image);
  auto changed = espprov(args);
  REQUIRE(changed.exit_code == 0);
  auto record = record_of(changed);
  CHECK(record["sectors_total"] == 4);
  CHECK(record["sectors_written"] == 1);
  CHECK(record["flash_verified"] == true);
  args.push_back("--force");
  auto forced = record_of(espprov(args));
  CHECK(forced["sectors_written"] == 4);
}

TEST_CASE("espprov provision refuses a flash-encrypted chip without NVS keys before anything is registered",
          "[loader][cli][sdm]") {
  SimRun sim(1, "esp32c3", {"--flash-encryption", "on"});
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  auto result = espprov({"provision", "--port", board.port, "--before", "no-reset", "--no-wifi", "--no-ca",
                         "--ledger", (dir / "ledger.db").string()});
  CHECK(result.exit_code == provision::exit_code_of(provision::ErrorCode::flash_encrypted));
  CHECK(record_of(result)["failed_step"] == "chip");
  CHECK((result.out + result.err).find("--nvs-keys") != std::string::npos);
  CHECK(file_bytes(board.flash, 0x3F0000, 0x1000) == Bytes(0x1000, 0xFF));

  const Bytes image = pattern(0x1000, 43);
  std::ofstream(dir / "nvs.bin", std::ios::binary).write(reinterpret_cast<const char*>(image.data()), 0x1000);
  std::vector<std::string> flash{"flash", "--port", board.port, "--before", "no-reset", "--after", "no-reset",
                                 "--offset", "0x3F0000", (dir / "nvs.bin").string()};
  auto refused = espprov(flash);
  CHECK(refused.exit_code == provision::exit_code_of(provision::ErrorCode::flash_encrypted));
  CHECK(refused.err.find("--plaintext") != std::string::npos);
  flash.push_back("--plaintext");
  REQUIRE(espprov(flash).exit_code == 0);
  CHECK(file_bytes(board.flash, 0x3F0000, 0x1000) == image);
}

}  // namespace loader_cli_test
