// Progress outside a terminal: plain lines with percentages for long steps, NDJSON events with timestamps and the
// step names the user knows (and nothing else), and silence with --progress none.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "provision/record.hpp"
#include "sim/sim_run.hpp"
#include "support/process.hpp"

namespace progress_test {

using provision::Record;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;

namespace {

std::vector<std::string> flash_argv(const std::string& port, const TempDir& dir, const std::string& progress) {
  {
    std::ofstream out(dir / "image.bin", std::ios::binary);
    std::string bytes(0x8000, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131 + 7) % 251);
    out << bytes;
  }
  return {test_support::bin_path("espprov").string(), "flash", "--port", port, "--after", "no-reset", "--offset",
          "0x100000", (dir / "image.bin").string(), "--no-compress", "--force", "--progress", progress};
}

}  // namespace

TEST_CASE("progress plain prints percent lines for a flash write, named flash", "[cli][progress]") {
  TempDir dir;
  SimRun sim(1, "esp32c3");
  auto r = run_process(flash_argv(sim.devices()[0].port, dir, "plain"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("flash: 50%") != std::string::npos);
  CHECK(r.err.find("flash: 100%") != std::string::npos);
  CHECK(r.err.find("loader:") == std::string::npos);
  CHECK(r.err.find("warning: ") != std::string::npos);  // the pty has no modem lines: said once
}

TEST_CASE("progress ndjson prints only NDJSON events with time, elapsed_s and the step flash", "[cli][progress]") {
  TempDir dir;
  SimRun sim(1, "esp32c3");
  auto r = run_process(flash_argv(sim.devices()[0].port, dir, "ndjson"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.err);
  int events = 0;
  bool warning_event = false;
  for (std::string line; std::getline(lines, line);) {
    auto event = Record::parse(line);  // throws (fails the test) on any line that is not JSON
    CHECK(event.contains("time"));
    CHECK(event.contains("elapsed_s"));
    CHECK(event["step"] != "loader");
    warning_event |= event["message"].get<std::string>().rfind("warning: ", 0) == 0;
    ++events;
  }
  CHECK(events > 3);
  CHECK(warning_event);
}

TEST_CASE("progress none prints nothing on stderr, warnings included", "[cli][progress]") {
  TempDir dir;
  SimRun sim(1, "esp32c3");
  auto r = run_process(flash_argv(sim.devices()[0].port, dir, "none"));
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
}

TEST_CASE("a warning that every board would repeat is printed once per run", "[cli][progress]") {
  TempDir dir;
  SimRun sim(3, "esp32c3");
  std::vector<std::string> argv{test_support::bin_path("espprov").string(), "provision", "--no-ca", "--no-wifi",
                                "--ledger", (dir / "ledger.db").string(), "--progress", "plain"};
  for (const auto& d : sim.devices()) argv.insert(argv.end(), {"--port", d.port});
  auto r = run_process(argv, "", std::chrono::seconds(120));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::size_t count = 0;
  for (std::size_t at = 0; (at = r.err.find("cannot reset the board", at)) != std::string::npos; ++at) ++count;
  CHECK(count == 1);
}

}  // namespace progress_test
