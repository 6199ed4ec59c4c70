// provision --dry-run: every check a run makes before a board is touched, plus the ledger and the ports, then the
// plan per port; no byte reaches a board. The plan is held to what a real run then does. flash --dry-run likewise.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "e2e/e2e_support.hpp"
#include "provision/error.hpp"

namespace dry_run_test {

using e2e::CaRun;
using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

int exit_of(provision::ErrorCode code) { return provision::exit_code_of(code); }

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// What the board has seen: its mode and the flash operations so far (the simulator's own account), and its flash.
struct BoardState {
  std::string mode;
  long flash_operations = 0;
  std::string flash;
  bool operator==(const BoardState&) const = default;
};

BoardState board_state(const SimRun& sim) {
  BoardState state;
  state.mode = json::parse(sim.control("list")).at(0).at("mode");
  state.flash_operations = json::parse(sim.control("flash-ops 0")).at(0).at("operations");
  state.flash = file_bytes(sim.devices()[0].flash);
  return state;
}

std::vector<std::string> with_progress(std::vector<std::string> argv, const std::string& mode) {
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "--progress") argv[i + 1] = mode;
  }
  return argv;
}

// The steps a run reported as started, in order, each once.
std::vector<std::string> started_steps(const std::string& ndjson) {
  std::vector<std::string> steps;
  std::istringstream in(ndjson);
  for (std::string line; std::getline(in, line);) {
    auto event = json::parse(line, nullptr, false);
    if (!event.is_object() || event.value("state", "") != "started") continue;
    const std::string step = event.value("step", "");
    if (std::find(steps.begin(), steps.end(), step) == steps.end()) steps.push_back(step);
  }
  return steps;
}

}  // namespace

TEST_CASE("provision --dry-run checks the CA, ledger and ports, prints the plan, and no byte reaches the board",
          "[cli][dry_run]") {
  TempDir dir;
  CaRun ca(dir);
  for (const char* boot : {"download", "app"}) {
    SimRun sim(1, "esp32c3", {"--boot", boot});
    const auto before = board_state(sim);
    const std::string ledger = (dir / (std::string(boot) + "-ledger.db")).string();
    auto argv = e2e::provision_argv(&ca, ledger, {sim.devices()[0].port}, {"--dry-run", "--trace"});
    auto r = run_process(argv, "", 60s);
    INFO(boot << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    auto record = json::parse(r.out);
    CHECK(record["ok"] == true);
    CHECK(record["dry_run"] == true);
    CHECK(record["ca"]["healthy"] == true);
    CHECK(record["ledger"]["exists"] == false);
    REQUIRE(record["ports"].size() == 1);
    CHECK(record["ports"][0]["port"] == sim.devices()[0].port);
    CHECK(record["ports"][0]["steps"].front() == "connect");
    CHECK(r.err.find(" >> ") == std::string::npos);  // --trace: nothing written
    CHECK(board_state(sim) == before);              // same mode, no flash operation, same flash bytes
    CHECK_FALSE(std::filesystem::exists(ledger));   // a dry run creates nothing
  }
}

TEST_CASE("the steps --dry-run plans are the steps the run then goes through", "[cli][dry_run]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  const std::string ledger = (dir / "ledger.db").string();
  auto argv = e2e::provision_argv(&ca, ledger, {sim.devices()[0].port});
  auto dry_argv = argv;
  dry_argv.push_back("--dry-run");
  auto dry = run_process(dry_argv, "", 60s);
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  const auto planned = json::parse(dry.out)["ports"][0]["steps"].get<std::vector<std::string>>();
  CHECK(std::find(planned.begin(), planned.end(), "ca-register") != planned.end());

  auto real = run_process(with_progress(argv, "ndjson"), "", 120s);
  INFO(real.err);
  REQUIRE(real.exit_code == 0);
  CHECK(started_steps(real.err) == planned);

  // With the ledger now there, a dry run opens it and says so.
  auto again = run_process(dry_argv, "", 60s);
  REQUIRE(again.exit_code == 0);
  CHECK(json::parse(again.out)["ledger"]["exists"] == true);
}

TEST_CASE("provision --dry-run exits with the failing check's code: the CA down, a port that does not open",
          "[cli][dry_run]") {
  TempDir dir;
  SimRun sim(1, "esp32c3");
  const std::string ledger = (dir / "ledger.db").string();
  {
    CaRun ca(dir);
    auto argv = e2e::provision_argv(&ca, ledger, {sim.devices()[0].port}, {"--dry-run"});
    ca.stop();
    auto down = run_process(argv, "", 60s);
    CHECK(down.exit_code == exit_of(provision::ErrorCode::ca_unreachable));
    CHECK(json::parse(down.out)["ok"] == false);
  }
  auto no_port = run_process(
      e2e::provision_argv(nullptr, ledger, {sim.devices()[0].port, (dir / "ttyNONE").string()}, {"--dry-run"}), "", 60s);
  CHECK(no_port.exit_code == exit_of(provision::ErrorCode::port_unavailable));
  CHECK(no_port.err.find("ttyNONE") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(ledger));
}

TEST_CASE("flash --dry-run checks the record, the files, overlaps and the port, and no byte reaches the board",
          "[cli][dry_run]") {
  TempDir dir;
  SimRun sim(1, "esp32c3", {"--boot", "download"});
  const std::string port = sim.devices()[0].port;
  const std::string app = (dir / "app.bin").string(), table = (dir / "partitions.bin").string();
  std::ofstream(app, std::ios::binary) << std::string(5000, '\x5A');
  std::ofstream(table, std::ios::binary) << std::string(3072, '\xAA');
  const std::string espprov = test_support::bin_path("espprov").string();
  const auto before = board_state(sim);

  auto r = run_process({espprov, "flash", "-p", port, "--dry-run", "--trace", "0x8000", table, "0x10000", app}, "", 30s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto record = json::parse(r.out);
  CHECK(record["ok"] == true);
  CHECK(record["dry_run"] == true);
  CHECK(record["port"] == port);
  CHECK(record["checked"].back() == "port_opens");
  REQUIRE(record["regions"].size() == 2);
  CHECK(record["regions"][1] == json{{"offset", "0x10000"}, {"size", "0x1388"},
                                     {"md5", "4b26796c683f1a63f5bdba71b03fed3f"}, {"file", app}});
  CHECK(r.err.find(" >> ") == std::string::npos);  // --trace: nothing written

  // An image that is not the one the input record describes, sectors shared, a port that is not there: the same
  // codes as the real run, and still nothing reaches the board.
  auto mismatch = run_process({espprov, "flash", "-p", port, "--dry-run", "--in", "-", "0x3F0000", app},
                              R"({"ok":true,"nvs_md5":"00000000000000000000000000000000","nvs_size":"0x1388"})", 30s);
  CHECK(mismatch.exit_code == exit_of(provision::ErrorCode::record_mismatch));
  auto overlap = run_process({espprov, "flash", "-p", port, "--dry-run", "0x10000", app, "0x11000", table}, "", 30s);
  CHECK(overlap.exit_code == exit_of(provision::ErrorCode::bad_input));
  auto missing = run_process({espprov, "flash", "-p", (dir / "ttyNONE").string(), "--dry-run", "0x10000", app}, "", 30s);
  CHECK(missing.exit_code == exit_of(provision::ErrorCode::port_unavailable));
  CHECK(board_state(sim) == before);  // same mode, no flash operation, same flash bytes
}

}  // namespace dry_run_test
