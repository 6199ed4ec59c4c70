// espprov monitor against the simulator's firmware console: lines as they come (text or JSON), --until and
// --timeout for scripts, stdin to the board, the +POP: reply masked, Ctrl-] and SIGTERM ending it cleanly.
#include <catch2/catch.hpp>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>

#include <atomic>
#include <regex>
#include <sstream>
#include <thread>

#include "e2e/e2e_support.hpp"
#include "provision/error.hpp"

namespace monitor_test {

using nlohmann::json;
using sim_test::SimRun;
using test_support::ProcessResult;
using test_support::run_process;
using namespace std::chrono_literals;

namespace {

std::string espprov_bin() { return test_support::bin_path("espprov").string(); }

int exit_of(provision::ErrorCode code) { return provision::exit_code_of(code); }

// Runs the monitor while the board reboots every half second (its boot lines come again), until the monitor ends.
ProcessResult monitor_while_rebooting(SimRun& sim, std::vector<std::string> args) {
  args.insert(args.begin(), {espprov_bin(), "monitor", "--port", sim.devices()[0].port});
  std::atomic<bool> done{false};
  ProcessResult result;
  std::thread monitor([&] {
    result = run_process(args, "", 30s);
    done = true;
  });
  while (!done) {
    sim.control("reset 0");
    std::this_thread::sleep_for(500ms);
  }
  monitor.join();
  return result;
}

// espprov monitor with its stdin, stdout and stderr on a pseudo-terminal, as a user runs it in a terminal.
class MonitorOnTerminal {
 public:
  explicit MonitorOnTerminal(const std::string& port) {
    pid_ = ::forkpty(&terminal_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      const std::string bin = espprov_bin();
      ::execl(bin.c_str(), bin.c_str(), "monitor", "--port", port.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~MonitorOnTerminal() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (terminal_ >= 0) ::close(terminal_);
  }
  // Reads what the monitor printed until `text` appears (or 20 s pass).
  bool wait_for(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (seen_.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd fd{terminal_, POLLIN, 0};
      if (::poll(&fd, 1, 200) <= 0) continue;
      char buffer[512];
      auto n = ::read(terminal_, buffer, sizeof buffer);
      if (n <= 0) break;
      seen_.append(buffer, static_cast<std::size_t>(n));
    }
    return seen_.find(text) != std::string::npos;
  }
  bool line_editing() const {
    termios settings{};
    ::tcgetattr(terminal_, &settings);
    return (settings.c_lflag & ICANON) != 0 && (settings.c_lflag & ECHO) != 0;
  }
  void type(const std::string& keys) { CHECK(::write(terminal_, keys.data(), keys.size()) == static_cast<ssize_t>(keys.size())); }
  int pid() const { return pid_; }
  int wait_exit() {
    int status = 0;
    for (int i = 0; i < 200 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(100ms);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  int pid_ = -1;
  int terminal_ = -1;
  bool exited_ = false;
  std::string seen_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("monitor prints the firmware's boot lines and --until ends it with exit 0 at the matching line",
          "[cli][monitor]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  auto r = monitor_while_rebooting(sim, {"--until", "^\\+READY$", "--timeout", "20"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  auto lines = lines_of(r.out);
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back() == "+READY");
  CHECK(r.out.find("saved networks:") != std::string::npos);
}

TEST_CASE("monitor --format json prints one {time, port, line} object per console line", "[cli][monitor]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  auto r = monitor_while_rebooting(sim, {"--format", "json", "--until", "READY", "--timeout", "20"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = lines_of(r.out);
  REQUIRE_FALSE(lines.empty());
  const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  for (const auto& text : lines) {
    auto line = json::parse(text);
    CHECK(line.size() == 3);
    CHECK(std::regex_match(line["time"].get<std::string>(), rfc3339));
    CHECK(line["port"] == sim.devices()[0].port);
    CHECK(line["line"].is_string());
  }
  CHECK(json::parse(lines.back())["line"] == "+READY");
}

TEST_CASE("monitor sends stdin to the board and masks the +POP: reply it prints", "[cli][monitor]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  auto r = run_process({espprov_bin(), "monitor", "--port", sim.devices()[0].port, "--until", "^\\+POP", "--timeout",
                        "15"},
                       "AT+POP?\r\n", 30s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("+POP:***") != std::string::npos);
  CHECK_FALSE(std::regex_search(r.out, std::regex("[0-9a-f]{64}")));
}

TEST_CASE("monitor --until without a match exits device_timeout at --timeout, without --until the timeout is the end",
          "[cli][monitor]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  const auto port = sim.devices()[0].port;
  auto unmatched = run_process({espprov_bin(), "monitor", "--port", port, "--until", "never printed", "--timeout", "1",
                                "--format", "json"},
                               "", 20s);
  CHECK(unmatched.exit_code == exit_of(provision::ErrorCode::device_timeout));
  CHECK(unmatched.err.find("never printed") != std::string::npos);
  CHECK(json::parse(lines_of(unmatched.out).back())["error"]["code"] == "device_timeout");
  auto bounded = run_process({espprov_bin(), "monitor", "--port", port, "--timeout", "1"}, "", 20s);
  CHECK(bounded.exit_code == 0);
  CHECK_FALSE(bounded.timed_out);
  auto bad_regex = run_process({espprov_bin(), "monitor", "--port", port, "--until", "(unclosed"});
  CHECK(bad_regex.exit_code == exit_of(provision::ErrorCode::bad_input));
  CHECK(bad_regex.err.find("until") != std::string::npos);
}

TEST_CASE("monitor ends on its exit key (Ctrl and right bracket) from stdin and on SIGTERM, with exit 0", "[cli][monitor]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  const auto port = sim.devices()[0].port;
  auto key = run_process({espprov_bin(), "monitor", "--port", port}, "\x1d", 20s);
  CHECK_FALSE(key.timed_out);
  CHECK(key.exit_code == 0);

  test_support::BackgroundProcess running({espprov_bin(), "monitor", "--port", port});
  sim.control("reset 0");
  CHECK_FALSE(running.read_line(20s).empty());  // it is reading the console (and so handles signals)
  CHECK(running.stop() == 0);
  // The port is free again: the lock went with the process.
  auto after = run_process({espprov_bin(), "monitor", "--port", port, "--timeout", "0.5"}, "", 20s);
  CHECK(after.exit_code == 0);
}

TEST_CASE("monitor on a port that does not exist fails with port_unavailable", "[cli][monitor]") {
  auto r = run_process({espprov_bin(), "monitor", "--port", "/dev/null-espprov-none", "--timeout", "1"}, "", 20s);
  CHECK(r.exit_code == exit_of(provision::ErrorCode::port_unavailable));
}

TEST_CASE("monitor on a terminal takes keys one by one, its exit key and SIGTERM end it, and the terminal is restored",
          "[cli][monitor]") {
  SimRun sim(1, "esp32c3", {"--boot", "app"});
  const auto port = sim.devices()[0].port;
  {
    MonitorOnTerminal terminal(port);
    REQUIRE(terminal.wait_for("Ctrl-] exits"));
    CHECK_FALSE(terminal.line_editing());  // raw: keys reach the board as typed
    terminal.type("AT\r");                // Enter sends "\r\n": the firmware answers
    CHECK(terminal.wait_for("OK"));
    terminal.type("\x1d");
    CHECK(terminal.wait_exit() == 0);
    CHECK(terminal.line_editing());
  }
  {
    MonitorOnTerminal terminal(port);
    REQUIRE(terminal.wait_for("Ctrl-] exits"));
    terminal.type("AT\r");
    REQUIRE(terminal.wait_for("OK"));  // reading the console, so its signal handling is in place
    ::kill(terminal.pid(), SIGTERM);
    CHECK(terminal.wait_exit() == 0);
    CHECK(terminal.line_editing());
  }
}

}  // namespace monitor_test
