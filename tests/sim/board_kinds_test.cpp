// Kinds of boards and how they are reset: the simulator's reset circuits (auto-reset, slow EN, native
// USB-Serial/JTAG) driven through the loader's reset strategies, custom sequences and alternating delays. The
// lines reach the simulator over its control socket (SimLinesLink); the bytes over the board's pty.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <optional>

#include "provision/error.hpp"
#include "provision/loader.hpp"
#include "provision/loader/session.hpp"
#include "sim/sim_lines_link.hpp"
#include "sim/sim_run.hpp"
#include "support/sysfs_tree.hpp"

namespace board_kinds_test {

namespace loader = provision::loader;
namespace asio = boost::asio;
using sim_test::SimRun;

namespace {

struct Outcome {
  bool connected = false;
  std::string chip;
  std::string error;
  std::optional<provision::ErrorCode> code;
  std::vector<std::string> messages;
  int line_changes = 0;
};

Outcome connect_board(const SimRun& sim, const loader::ConnectOptions& options) {
  const std::string port = sim.devices().at(0).port;
  Outcome outcome;
  provision::ProgressSink sink = [&](const provision::ProgressEvent& e) { outcome.messages.push_back(e.message); };
  provision::serial::run_blocking<bool>([&]() -> asio::awaitable<bool> {
    auto pty = co_await provision::serial::open_link(port, 115200);
    sim_test::SimLinesLink link(std::move(pty), sim.state_dir() / "control", port);
    loader::Loader device(link, sink);
    try {
      co_await device.connect(options);
      auto chip = co_await device.detect_chip();
      outcome.chip = std::string(chip.facts->name);
      outcome.connected = true;
    } catch (const provision::Error& e) {
      // A reset that boots the application is told apart from a silent line: its console answers.
      CHECK((e.code() == provision::ErrorCode::wrong_mode || e.code() == provision::ErrorCode::device_timeout));
      outcome.code = e.code();
      outcome.error = e.what();
    }
    outcome.line_changes = link.line_changes();
    co_return true;
  });
  return outcome;
}

std::string mode_of(const SimRun& sim) {
  return nlohmann::json::parse(sim.control("list")).at(0).at("mode");
}

int count_containing(const std::vector<std::string>& messages, const std::string& part) {
  int n = 0;
  for (const auto& m : messages) n += m.find(part) != std::string::npos;
  return n;
}

loader::ConnectOptions with(loader::BeforeReset before, int attempts) {
  return {.before = before, .sequence = std::nullopt, .attempts = attempts};
}

}  // namespace

TEST_CASE("an auto-reset board running its app enters download mode with the classic reset", "[sim][reset]") {
  SimRun sim(1, "esp32c3", {"--boot", "app", "--reset-circuit", "auto-reset"});
  auto outcome = connect_board(sim, with(loader::BeforeReset::default_reset, 1));
  INFO(outcome.error);
  CHECK(outcome.connected);
  CHECK(outcome.chip == "esp32c3");
  CHECK(outcome.line_changes >= 3);
  CHECK(count_containing(outcome.messages, "GPIO0 held 50 ms") == 1);
}

TEST_CASE("the USB-Serial/JTAG board enters download mode with usb-reset, not with the classic reset", "[sim][reset]") {
  SimRun sim(1, "esp32c6", {"--boot", "app", "--reset-circuit", "usb-serial-jtag"});
  auto classic = connect_board(sim, with(loader::BeforeReset::default_reset, 2));
  CHECK_FALSE(classic.connected);
  CHECK(mode_of(sim) == "app");  // the peripheral decoded a plain reset: the application booted again
  CHECK(count_containing(classic.messages, "connect attempt 1 of 2 after default-reset (GPIO0 held 50 ms): the "
                                           "application's console answered") == 1);
  CHECK(count_containing(classic.messages, "connect attempt 2 of 2 after default-reset (GPIO0 held 500 ms): the "
                                           "application's console answered") == 1);
  CHECK(classic.code == provision::ErrorCode::wrong_mode);
  CHECK_THAT(classic.error, Catch::Contains("reset it twice (both GPIO0 holds)"));

  auto usb = connect_board(sim, with(loader::BeforeReset::usb_reset, 1));
  INFO(usb.error);
  CHECK(usb.connected);
  CHECK(usb.chip == "esp32c6");
  CHECK(mode_of(sim) == "download");
}

TEST_CASE("a slow-EN board needs the long reset delay: the second attempt connects", "[sim][reset]") {
  SimRun sim(1, "esp32c3", {"--boot", "app", "--reset-circuit", "slow-en"});
  auto short_only = connect_board(sim, with(loader::BeforeReset::default_reset, 1));
  CHECK_FALSE(short_only.connected);
  CHECK(mode_of(sim) == "app");

  auto alternating = connect_board(sim, with(loader::BeforeReset::default_reset, 2));
  INFO(alternating.error);
  CHECK(alternating.connected);
  CHECK(count_containing(alternating.messages, "connect attempt 1 of 2 after default-reset (GPIO0 held 50 ms): the "
                                               "application's console answered") == 1);
  CHECK(short_only.code == provision::ErrorCode::wrong_mode);
  CHECK_THAT(short_only.error, Catch::Contains("--connect-attempts 2 or more"));
  CHECK(count_containing(alternating.messages, "in download mode (attempt 2, default-reset (GPIO0 held 500 ms))") == 1);
}

TEST_CASE("a custom reset sequence drives the lines as written", "[sim][reset]") {
  SimRun sim(1, "esp32s3", {"--boot", "app"});
  auto options = with(loader::BeforeReset::default_reset, 1);
  options.sequence = loader::parse_reset_sequence("D0|R1|W0.1|D1|R0|W0.05|D0");
  auto classic = connect_board(sim, options);
  INFO(classic.error);
  CHECK(classic.connected);
  CHECK(classic.line_changes == 5);  // one control message per D/R command
  CHECK(count_containing(classic.messages, "reset-sequence D0|R1|W0.1|D1|R0|W0.05|D0") == 1);

  // EN pulsed with GPIO0 high: the app boots, the attempt fails and says why.
  sim.control("reset 0");
  options.sequence = loader::parse_reset_sequence("U0,1|W0.1|U0,0");
  auto app = connect_board(sim, options);
  CHECK_FALSE(app.connected);
  CHECK(mode_of(sim) == "app");
  CHECK(count_containing(app.messages, "connect attempt 1 of 1 after reset-sequence U0,1|W0.1|U0,0: the "
                                       "application's console answered") == 1);
  CHECK(app.code == provision::ErrorCode::wrong_mode);

  // The USB-Serial/JTAG sequence written out works on that peripheral.
  SimRun jtag(1, "esp32c3", {"--boot", "app", "--reset-circuit", "usb-serial-jtag"});
  options.sequence = loader::parse_reset_sequence("U0,0|W0.1|U1,0|W0.1|U1,1|U0,1|W0.1|U0,0");
  auto usb = connect_board(jtag, options);
  INFO(usb.error);
  CHECK(usb.connected);
}

TEST_CASE("a 303a:1001 port gets usb-reset when default-reset was asked, others keep it", "[sim][reset][ports]") {
  SimRun sim(1, "esp32c3", {"--boot", "app", "--reset-circuit", "usb-serial-jtag"});
  test_support::TempDir root;
  test_support::add_usb_tty(root.path(),
                            {"ttyACM0", "1-4", "303a", "1001", "F4:12:FA:00:00:01", sim.devices().at(0).port});
  test_support::add_usb_tty(root.path(), {"ttyUSB0", "1-1", "10c4", "ea60", "0001", "/dev/null"});
  std::vector<std::string> messages;
  provision::ProgressSink sink = [&](const provision::ProgressEvent& e) { messages.push_back(e.message); };
  const std::string acm = (root / "dev/ttyACM0").string();
  auto chosen =
      loader::connect_options_for(acm, loader::BeforeReset::default_reset, std::nullopt, 1, sink, root.path().string());
  CHECK(chosen.before == loader::BeforeReset::usb_reset);
  CHECK(count_containing(messages, "Espressif USB-Serial/JTAG port (303a:1001): using usb-reset") == 1);
  auto kept = loader::connect_options_for((root / "dev/ttyUSB0").string(), loader::BeforeReset::default_reset,
                                          std::nullopt, 1, sink, root.path().string());
  CHECK(kept.before == loader::BeforeReset::default_reset);
  auto explicit_none =
      loader::connect_options_for(acm, loader::BeforeReset::no_reset, std::nullopt, 1, sink, root.path().string());
  CHECK(explicit_none.before == loader::BeforeReset::no_reset);

  auto outcome = connect_board(sim, chosen);
  INFO(outcome.error);
  CHECK(outcome.connected);
}

TEST_CASE("the simulator refuses malformed lines commands", "[sim][reset]") {
  SimRun sim(1, "esp32c3");
  CHECK(sim.control("lines 0 1 0") == "ok");
  CHECK_THAT(sim.control("lines 0 2 0"), Catch::StartsWith("error: lines takes"));
  CHECK_THAT(sim.control("lines 0"), Catch::StartsWith("error: lines takes"));
  CHECK_THAT(sim.control("lines 7 1 0"), Catch::StartsWith("error: no device"));
}

TEST_CASE("the erase timeout is configurable: too short for a slow erase fails naming it, the default passes",
          "[sim][reset][timeouts]") {
  SimRun sim(1, "esp32c3", {"--flash-timing", "on"});
  const std::string port = sim.devices().at(0).port;
  const loader::Bytes image(0x40000, 0x5A);  // 256 KiB: four 64 KiB block erases, 600 ms
  auto write_with = [&](loader::OperationTimeouts timeouts) {
    std::string error;
    provision::serial::run_blocking<bool>([&]() -> asio::awaitable<bool> {
      auto link = co_await provision::serial::open_link(port, 115200);
      loader::Loader device(*link);
      device.set_timeouts(timeouts);
      co_await device.connect(loader::BeforeReset::no_reset, 3);
      co_await device.detect_chip();
      try {
        co_await device.write_flash(0x100000, image, {.compress = false, .verify = false, .force = true});
      } catch (const provision::Error& e) {
        error = e.what();
      }
      co_return true;
    });
    return error;
  };
  auto short_erase = write_with({.erase = provision::serial::Millis(100), .first_packet = std::nullopt});
  // The erase outlasts 100 ms: FLASH_BEGIN goes unanswered in time and the write fails (the message names the
  // command; the resync after it reports the default timeout, see exchange.cpp).
  CHECK_THAT(short_erase, Catch::Contains("did not answer FLASH_BEGIN"));
  CHECK(write_with({}).empty());
}

}  // namespace board_kinds_test
