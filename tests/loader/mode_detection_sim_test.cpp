// A board in the other mode, found from its first bytes on a real pty: the simulator's ROM loader and its running
// firmware, classified live (board_output.hpp), then Loader::connect and wifi::wait_ready stopping with
// Error(wrong_mode) instead of trying every attempt. The detection times are printed (not asserted: speed
// targets live in benchmarks), with baud pacing on so bytes take their real time on the line.
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <string>

#include "loader/loader_support.hpp"
#include "provision/error.hpp"
#include "provision/loader/board_output.hpp"
#include "provision/loader/command.hpp"
#include "provision/wifi.hpp"
#include "sim/rom_client.hpp"
#include "sim/sim_run.hpp"

namespace mode_detection_sim_test {

using namespace std::chrono_literals;
using provision::loader::BoardOutput;
using provision::loader::classify_board_output;
using sim_test::SimRun;

namespace {

using Clock = std::chrono::steady_clock;

// What the board sends back to one SYNC frame followed by a line end (what Loader::connect sends), read for
// `window` on the board's pty.
provision::loader::Bytes answer_to_sync(const std::string& port, std::chrono::milliseconds window) {
  sim_test::RomClient client(port);
  client.flush_input();
  auto sync = provision::loader::slip_encode(
      provision::loader::encode_request(provision::loader::Command::sync, provision::loader::sync_body(), 0));
  sync.push_back('\r');
  sync.push_back('\n');
  client.send_raw(sync);
  const std::string text = client.read_text(window);
  return provision::loader::Bytes(text.begin(), text.end());
}

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace

TEST_CASE("the simulator's ROM answer to SYNC classifies as the ROM loader, its firmware's as console text",
          "[loader][sim][mode]") {
  SimRun rom(1, "esp32c3", {"--baud-pacing", "on"});
  auto rom_bytes = answer_to_sync(rom.devices()[0].port, 300ms);
  auto rom_verdict = classify_board_output(rom_bytes);
  CHECK(rom_verdict.kind == BoardOutput::rom_loader);
  CHECK(rom_verdict.evidence == "a ROM response to command 0x08");

  SimRun app(1, "esp32c3", {"--boot", "app", "--baud-pacing", "on"});
  auto app_bytes = answer_to_sync(app.devices()[0].port, 300ms);
  auto app_verdict = classify_board_output(app_bytes);
  INFO(std::string(app_bytes.begin(), app_bytes.end()));
  CHECK(app_verdict.kind == BoardOutput::console_text);
  CHECK(app_verdict.evidence == "ERROR:unknown_command");

  // Reset into download mode through the control: the ROM banner alone already says so.
  sim_test::RomClient client(app.devices()[0].port);
  client.flush_input();
  app.control("download 0");
  const std::string banner = client.read_text(300ms);
  INFO(banner);
  CHECK(classify_board_output(provision::loader::Bytes(banner.begin(), banner.end())).kind == BoardOutput::rom_loader);
}

TEST_CASE("Loader::connect on a running firmware over a pty stops with wrong_mode after the first reset",
          "[loader][sim][mode]") {
  SimRun sim(1, "esp32c3", {"--boot", "app", "--baud-pacing", "on"});
  const std::string port = sim.devices()[0].port;
  loader_test::Events events;
  const auto start = Clock::now();
  std::optional<provision::Error> failure;
  try {
    provision::serial::run_blocking<int>([&]() -> boost::asio::awaitable<int> {
      auto link = co_await provision::serial::open_link(port, 115200);
      provision::loader::Loader device(*link, events.sink());
      co_await device.connect(provision::loader::BeforeReset::default_reset, 7);
      co_return 0;
    });
  } catch (const provision::Error& error) {
    failure = error;
  }
  const auto elapsed = ms_since(start);
  std::cerr << "mode detection: Loader::connect on a running firmware (pty, 115200 paced): wrong_mode after " << elapsed
            << " ms\n";
  REQUIRE(failure);
  CHECK(failure->code() == provision::ErrorCode::wrong_mode);
  CHECK_THAT(failure->what(), Catch::Contains("runs its application, not the ROM loader"));
  CHECK_THAT(failure->what(), Catch::Contains("no modem lines"));
  CHECK_THAT(failure->what(), Catch::Contains("AT+BOOTLOADER"));
  int attempts_reported = 0;
  for (const auto& e : events.list) attempts_reported += e.message.find("connect attempt") != std::string::npos;
  CHECK(attempts_reported == 1);  // not seven resets' worth of SYNCs
}

TEST_CASE("wifi::wait_ready on a board in the ROM loader stops with wrong_mode instead of the ready timeout",
          "[wifi][sim][mode]") {
  SimRun sim(1, "esp32c3", {"--baud-pacing", "on"});
  const std::string port = sim.devices()[0].port;
  const auto start = Clock::now();
  std::optional<provision::Error> failure;
  try {
    provision::serial::run_blocking<int>([&]() -> boost::asio::awaitable<int> {
      auto link = co_await provision::serial::open_link(port, 115200);
      co_await provision::wifi::wait_ready(*link, std::chrono::milliseconds(10000));
      co_return 0;
    });
  } catch (const provision::Error& error) {
    failure = error;
  }
  const auto elapsed = ms_since(start);
  std::cerr << "mode detection: wifi::wait_ready on a board in download mode (pty, 115200 paced): wrong_mode after "
            << elapsed << " ms (ready timeout 10000 ms)\n";
  REQUIRE(failure);
  CHECK(failure->code() == provision::ErrorCode::wrong_mode);
  CHECK_THAT(failure->what(), Catch::Contains("is in the ROM loader"));
  CHECK_THAT(failure->what(), Catch::Contains("espprov reset -p " + port));
}

TEST_CASE("wifi::wait_ready on a running firmware still gets ready with the SYNC frame in its first probe",
          "[wifi][sim][mode]") {
  SimRun sim(1, "esp32c3", {"--boot", "app", "--baud-pacing", "on"});
  const std::string port = sim.devices()[0].port;
  auto info = provision::serial::run_blocking<provision::wifi::DeviceInfo>(
      [&]() -> boost::asio::awaitable<provision::wifi::DeviceInfo> {
        auto link = co_await provision::serial::open_link(port, 115200);
        co_await provision::wifi::wait_ready(*link, std::chrono::milliseconds(5000));  // +READY is long gone
        co_return co_await provision::wifi::info(*link);
      });
  CHECK(info.mac == sim.devices()[0].mac);
}

}  // namespace mode_detection_sim_test
