// esptool's habits in espprov (issue 17, section 5): -p/-b/-c, $ESPPORT/$ESPBAUD, --baud as the flashing rate,
// OFFSET FILE pairs, erase-flash and provision --flash. The real espprov executable against espprov-sim's ptys.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.hpp"
#include "loader/loader_support.hpp"
#include "provision/error.hpp"
#include "provision/ledger.hpp"
#include "sim/sim_run.hpp"
#include "support/process.hpp"

namespace esptool_habits_test {

using namespace loader_test;
using provision::ErrorCode;
using provision::exit_code_of;
using sim_test::SimRun;
using test_support::run_process;

namespace {

// espprov with `environment` (NAME=VALUE) set for it alone.
test_support::ProcessResult espprov(std::vector<std::string> args, std::vector<std::string> environment = {}) {
  std::vector<std::string> argv{"/usr/bin/env", "-u", "ESPPORT", "-u", "ESPBAUD"};
  argv.insert(argv.end(), environment.begin(), environment.end());
  argv.push_back(test_support::bin_path("espprov").string());
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

nlohmann::json record_of(const test_support::ProcessResult& result) {
  INFO(result.err);
  return nlohmann::json::parse(result.out);
}

void write_bytes(const std::filesystem::path& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// The trace line of a CHANGE_BAUDRATE request (command 0x0F) as --trace prints it.
bool changed_baud(const test_support::ProcessResult& result, const std::string& port) {
  return result.err.find(port + " >> 0000: c0 00 0f") != std::string::npos;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const std::vector<std::string> kStay{"--before", "no-reset", "--after", "no-reset"};

std::vector<std::string> with_stay(std::vector<std::string> args) {
  args.insert(args.end(), kStay.begin(), kStay.end());
  return args;
}

}  // namespace

TEST_CASE("esptool habits: -p and -b run a loader command: it connects at 115200 and switches to -b", "[loader][cli][esptool]") {
  SimRun sim(1, "esp32c3");
  const auto& port = sim.devices().at(0).port;
  auto fast = espprov(with_stay({"chip", "-p", port, "-b", "460800", "--trace"}));
  REQUIRE(fast.exit_code == 0);
  CHECK(record_of(fast)["chip"] == "esp32c3");
  CHECK(changed_baud(fast, port));

  auto same = espprov(with_stay({"chip", "-p", port, "-b", "115200", "--trace"}));
  REQUIRE(same.exit_code == 0);
  CHECK_FALSE(changed_baud(same, port));

  // --initial-baud is the rate the ROM is reached at: the simulator's pty takes any rate, so the run succeeds and
  // no switch is asked for when it equals --baud.
  auto initial = espprov(with_stay({"chip", "-p", port, "--initial-baud", "230400", "-b", "230400", "--trace"}));
  REQUIRE(initial.exit_code == 0);
  CHECK_FALSE(changed_baud(initial, port));
}

TEST_CASE("esptool habits: --flash-baud still sets the flashing rate and warns once that it is deprecated", "[loader][cli][esptool]") {
  SimRun sim(1, "esp32c3");
  const auto& port = sim.devices().at(0).port;
  auto old = espprov(with_stay({"chip", "--port", port, "--flash-baud", "460800", "--trace"}));
  REQUIRE(old.exit_code == 0);
  CHECK(changed_baud(old, port));
  CHECK(count_of(old.err, "--flash-baud is deprecated") == 1);
  // The old pair (--baud initial, --flash-baud flashing) keeps its meaning.
  auto pair = espprov(with_stay({"chip", "--port", port, "--baud", "115200", "--flash-baud", "230400", "--trace"}));
  REQUIRE(pair.exit_code == 0);
  CHECK(changed_baud(pair, port));
}

TEST_CASE("esptool habits: -c names the chip: another chip on the board exits wrong_board naming both", "[loader][cli][esptool]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  REQUIRE(espprov(with_stay({"chip", "-p", board.port, "-c", "esp32c3"})).exit_code == 0);
  REQUIRE(espprov(with_stay({"chip", "-p", board.port, "--chip", "auto"})).exit_code == 0);

  test_support::TempDir dir;
  write_bytes(dir / "app.bin", pattern(0x1000, 3));
  auto wrong = espprov(with_stay({"flash", "-p", board.port, "-c", "esp32s3", "0x10000", (dir / "app.bin").string()}));
  CHECK(wrong.exit_code == exit_code_of(ErrorCode::wrong_board));
  auto error = record_of(wrong)["error"];
  CHECK(error["field"] == "chip");
  CHECK(error["message"].get<std::string>().find("esp32c3") != std::string::npos);
  CHECK(error["message"].get<std::string>().find("esp32s3") != std::string::npos);
  CHECK(file_bytes(board.flash, 0x10000, 0x1000) != pattern(0x1000, 3));  // nothing written

  auto unknown = espprov(with_stay({"chip", "-p", board.port, "-c", "esp8266"}));
  CHECK(unknown.exit_code == exit_code_of(ErrorCode::bad_input));
  CHECK(record_of(unknown)["error"]["message"].get<std::string>().find("esp8266") != std::string::npos);
}

TEST_CASE("$ESPPORT and $ESPBAUD are defaults; a flag wins over the variable", "[loader][cli][esptool]") {
  SimRun sim(1, "esp32c6");
  const auto& port = sim.devices().at(0).port;
  auto from_env = espprov(with_stay({"chip", "--trace"}), {"ESPPORT=" + port, "ESPBAUD=460800"});
  REQUIRE(from_env.exit_code == 0);
  CHECK(record_of(from_env)["port"] == port);
  CHECK(changed_baud(from_env, port));

  auto flags_win = espprov(with_stay({"chip", "-p", port, "-b", "115200", "--trace"}),
                           {"ESPPORT=/dev/espprov-no-such-port", "ESPBAUD=460800"});
  REQUIRE(flags_win.exit_code == 0);
  CHECK(record_of(flags_win)["port"] == port);
  CHECK_FALSE(changed_baud(flags_win, port));

  auto env_port_missing = espprov(with_stay({"chip"}), {"ESPPORT=/dev/espprov-no-such-port"});
  CHECK(env_port_missing.exit_code == exit_code_of(ErrorCode::port_unavailable));
  auto no_port = espprov(with_stay({"chip"}));
  CHECK(no_port.exit_code == exit_code_of(ErrorCode::usage));
  CHECK(no_port.err.find("ESPPORT") != std::string::npos);
  auto bad_baud = espprov(with_stay({"chip", "-p", port}), {"ESPBAUD=fast"});
  CHECK(bad_baud.exit_code == exit_code_of(ErrorCode::bad_input));
  CHECK(record_of(bad_baud)["error"]["message"].get<std::string>().find("'fast'") != std::string::npos);

  // `mac` reads the board named by $ESPPORT; --mac still parses text without one.
  auto mac = espprov(with_stay({"mac"}), {"ESPPORT=" + port});
  REQUIRE(mac.exit_code == 0);
  CHECK(record_of(mac)["mac"] == sim.devices().at(0).mac);
  auto text = espprov({"mac", "--mac", "A0B1C2D3E4F5"}, {"ESPPORT=" + port});
  REQUIRE(text.exit_code == 0);
  CHECK(record_of(text)["mac"] == "A0:B1:C2:D3:E4:F5");
}

TEST_CASE("flash writes OFFSET FILE pairs, each verified, and read-flash reads them back", "[loader][cli][esptool]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  const Bytes bootloader = pattern(0x2100, 21), table = pattern(0xC00, 22), app = pattern(0x5000, 23);
  write_bytes(dir / "bootloader.bin", bootloader);
  write_bytes(dir / "partitions.bin", table);
  write_bytes(dir / "app.bin", app);
  auto flash = espprov(with_stay({"flash", "-p", board.port, "-b", "460800", "0x0", (dir / "bootloader.bin").string(),
                                  "0x8000", (dir / "partitions.bin").string(), "0x10000", (dir / "app.bin").string()}));
  REQUIRE(flash.exit_code == 0);
  auto regions = record_of(flash)["regions"];
  REQUIRE(regions.size() == 3);
  const std::vector<std::pair<std::string, const Bytes*>> expected{
      {"0x0", &bootloader}, {"0x8000", &table}, {"0x10000", &app}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(regions[i]["offset"] == expected[i].first);
    CHECK(regions[i]["size"] == fmt::format("0x{:X}", expected[i].second->size()));
    CHECK(regions[i]["md5"] == loader::md5_hex(*expected[i].second));
    CHECK(regions[i]["flash_verified"] == true);
    CHECK(regions[i]["sectors_written"] == (expected[i].second->size() + 0xFFF) / 0x1000);
  }
  // Read back over the loader, not from the simulator's file.
  for (const auto& [offset, data] : expected) {
    const auto out = (dir / ("back-" + offset)).string();
    auto read = espprov(with_stay({"read-flash", "-p", board.port, "--offset", offset, "--size",
                                   std::to_string(data->size()), "--out", out}));
    REQUIRE(read.exit_code == 0);
    CHECK(file_bytes(out, 0, data->size() + 1) == *data);
  }
  // Again: every region already holds its image.
  auto again = espprov(with_stay({"flash", "-p", board.port, "0x0", (dir / "bootloader.bin").string(), "0x10000",
                                  (dir / "app.bin").string()}));
  REQUIRE(again.exit_code == 0);
  const auto again_record = record_of(again);
  for (const auto& region : again_record["regions"]) CHECK(region["flash_skipped"] == true);
}

TEST_CASE("flash refuses regions that share a sector before the board is touched", "[loader][cli][esptool]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  write_bytes(dir / "a.bin", pattern(0x2000, 31));
  write_bytes(dir / "b.bin", pattern(0x100, 32));
  const Bytes before = file_bytes(board.flash, 0x10000, 0x4000);
  const auto a = (dir / "a.bin").string(), b = (dir / "b.bin").string();
  auto inside = espprov(with_stay({"flash", "-p", board.port, "0x10000", a, "0x11000", b}));
  CHECK(inside.exit_code == exit_code_of(ErrorCode::bad_input));
  CHECK(record_of(inside)["error"]["field"] == "offset");
  CHECK(inside.err.find("overlaps") != std::string::npos);
  // Two copies of b at 0x12000 and 0x12F00 share no byte but the sector 0x12000: the second write's erase would
  // take the first's bytes with it.
  auto shared_sector = espprov(with_stay({"flash", "-p", board.port, "0x12F00", b, "0x10000", a, "0x12000", b}));
  CHECK(shared_sector.exit_code == exit_code_of(ErrorCode::bad_input));
  CHECK(file_bytes(board.flash, 0x10000, 0x4000) == before);

  auto odd = espprov(with_stay({"flash", "-p", board.port, "0x10000", a, "0x20000"}));
  CHECK(odd.exit_code == exit_code_of(ErrorCode::usage));
  auto both_forms = espprov(with_stay({"flash", "-p", board.port, "--offset", "0x10000", a, "0x20000", b}));
  CHECK(both_forms.exit_code == exit_code_of(ErrorCode::usage));
}

TEST_CASE("flash with pairs still refuses files that are not the input record's image", "[loader][cli][esptool]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  const Bytes credentials = pattern(0x1000, 51), app = pattern(0x3000, 52);
  write_bytes(dir / "creds.bin", credentials);
  write_bytes(dir / "app.bin", app);
  write_bytes(dir / "other.bin", pattern(0x1000, 53));
  nlohmann::json record{{"nvs_md5", loader::md5_hex(credentials)}, {"nvs_size", "0x1000"}};
  std::ofstream(dir / "record.json") << record.dump();
  const auto in = (dir / "record.json").string();

  auto wrong = espprov(with_stay({"flash", "--in", in, "-p", board.port, "0x10000", (dir / "app.bin").string(),
                                  "0x3F0000", (dir / "other.bin").string()}));
  CHECK(wrong.exit_code == exit_code_of(ErrorCode::record_mismatch));
  CHECK(file_bytes(board.flash, 0x10000, app.size()) != app);

  auto right = espprov(with_stay({"flash", "--in", in, "-p", board.port, "0x10000", (dir / "app.bin").string(),
                                  "0x3F0000", (dir / "creds.bin").string()}));
  REQUIRE(right.exit_code == 0);
  CHECK(file_bytes(board.flash, 0x3F0000, credentials.size()) == credentials);
  CHECK(file_bytes(board.flash, 0x10000, app.size()) == app);
}

TEST_CASE("erase-flash leaves the whole flash 0xFF", "[loader][cli][esptool]") {
  SimRun sim(1, "esp32");
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  write_bytes(dir / "app.bin", pattern(0x3000, 61));
  REQUIRE(espprov(with_stay({"flash", "-p", board.port, "0x10000", (dir / "app.bin").string()})).exit_code == 0);
  const auto size = std::filesystem::file_size(board.flash);
  REQUIRE(file_bytes(board.flash, 0, size) != Bytes(size, 0xFF));  // the partition table, the app

  auto erase = espprov(with_stay({"erase-flash", "-p", board.port}));
  REQUIRE(erase.exit_code == 0);
  auto record = record_of(erase);
  CHECK(record["erased"] == true);
  CHECK(record["size"] == fmt::format("0x{:X}", size));
  CHECK(file_bytes(board.flash, 0, size) == Bytes(size, 0xFF));
  // Read back over the loader too (a sample: READ_FLASH_SLOW is 64 bytes a request).
  const auto out = (dir / "back.bin").string();
  REQUIRE(espprov(with_stay({"read-flash", "-p", board.port, "--offset", "0x10000", "--size", "0x1000", "--out", out}))
              .exit_code == 0);
  CHECK(file_bytes(out, 0, 0x1001) == Bytes(0x1000, 0xFF));
}

TEST_CASE("erase-flash refuses a chip with flash encryption unless --force", "[loader][cli][esptool]") {
  SimRun sim(1, "esp32c3", {"--flash-encryption", "on"});
  const auto& board = sim.devices().at(0);
  const auto size = std::filesystem::file_size(board.flash);
  const Bytes before = file_bytes(board.flash, 0, 0x10000);
  auto refused = espprov(with_stay({"erase-flash", "-p", board.port}));
  CHECK(refused.exit_code == exit_code_of(ErrorCode::flash_encrypted));
  CHECK(file_bytes(board.flash, 0, 0x10000) == before);
  REQUIRE(espprov(with_stay({"erase-flash", "-p", board.port, "--force"})).exit_code == 0);
  CHECK(file_bytes(board.flash, 0, size) == Bytes(size, 0xFF));
}

TEST_CASE("provision --flash writes the firmware in the flash step, records it, and a rerun skips it",
          "[e2e][esptool]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  const Bytes bootloader = pattern(0x3000, 71), app = pattern(0x20000, 72);
  write_bytes(dir / "bootloader.bin", bootloader);
  write_bytes(dir / "app.bin", app);
  const auto ledger = (dir / "ledger.db").string();
  auto argv = e2e::provision_argv(nullptr, ledger, {board.port},
                                  {"--no-wifi", "-c", "esp32c3", "--flash", "0x0", (dir / "bootloader.bin").string(),
                                   "--flash", "0x10000", (dir / "app.bin").string()});
  auto first = run_process(argv);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  auto record = e2e::records(first).at(0);
  CHECK(record["ok"] == true);
  auto firmware = record["firmware"];
  REQUIRE(firmware.size() == 2);
  CHECK(firmware[0]["offset"] == "0x0");
  CHECK(firmware[0]["md5"] == loader::md5_hex(bootloader));
  CHECK(firmware[0]["sectors_written"] == 3);
  CHECK(firmware[1]["offset"] == "0x10000");
  CHECK(firmware[1]["sectors_written"] == 32);
  CHECK(firmware[1]["flash_verified"] == true);
  CHECK(file_bytes(board.flash, 0, bootloader.size()) == bootloader);
  CHECK(file_bytes(board.flash, 0x10000, app.size()) == app);
  CHECK(e2e::flashed_credentials(board.flash)["uuid"] == record["uuid"]);
  {
    provision::Ledger book(ledger);
    auto entry = book.find(board.mac);
    REQUIRE(entry);
    CHECK(entry->record["firmware"].size() == 2);
  }

  // The same board again (a resumed or repeated run): the regions already hold their images.
  auto second = run_process(argv);
  REQUIRE(second.exit_code == 0);
  const auto second_record = e2e::records(second).at(0);
  for (const auto& region : second_record["firmware"]) {
    CHECK(region["flash_skipped"] == true);
    CHECK(region["sectors_written"] == 0);
  }
}

TEST_CASE("provision --flash overlapping the credentials partition or another --flash is refused up front",
          "[e2e][esptool]") {
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices().at(0);
  test_support::TempDir dir;
  write_bytes(dir / "app.bin", pattern(0x2000, 81));
  const auto app = (dir / "app.bin").string();
  const Bytes before = file_bytes(board.flash, 0x3F0000, 0x10000);
  auto into_nvs = run_process(e2e::provision_argv(nullptr, (dir / "ledger.db").string(), {board.port},
                                                  {"--no-wifi", "--flash", "0x3FF000", app}));
  CHECK(into_nvs.exit_code == exit_code_of(ErrorCode::bad_input));
  CHECK((into_nvs.out + into_nvs.err).find("credentials partition") != std::string::npos);
  auto twice = run_process(e2e::provision_argv(nullptr, (dir / "ledger.db").string(), {board.port},
                                               {"--no-wifi", "--flash", "0x10000", app, "--flash", "0x11000", app}));
  CHECK(twice.exit_code == exit_code_of(ErrorCode::bad_input));
  auto missing = run_process(e2e::provision_argv(nullptr, (dir / "ledger.db").string(), {board.port},
                                                 {"--no-wifi", "--flash", "0x10000", (dir / "none.bin").string()}));
  CHECK(missing.exit_code == exit_code_of(ErrorCode::io));
  CHECK(file_bytes(board.flash, 0x3F0000, 0x10000) == before);
  CHECK(file_bytes(board.flash, 0x10000, 0x2000) != pattern(0x2000, 81));
}

}  // namespace esptool_habits_test
