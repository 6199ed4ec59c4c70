// Test support: run the project's executables as a user would, in temp folders.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace test_support {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
  bool timed_out = false;
};

// Runs argv[0] (a path) with the arguments, feeding `input` on stdin; kills it after `timeout`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A child that keeps running (a server, the simulator) until stop() or destruction (SIGTERM, then SIGKILL).
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  // Reads one line of the child's stdout (without the newline); throws on timeout or EOF.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  int pid() const { return pid_; }
  // Sends SIGTERM and waits; returns the exit status (or -signal).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void kill_hard();
  // Waits for the child to exit by itself (no signal); returns its status, or -1000 on timeout (then kills it).
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::string pending_;
};

std::filesystem::path bin_path(const std::string& name);  // a built executable
std::filesystem::path shared_path(const std::string& relative);  // ../shared/<relative>
std::filesystem::path source_path(const std::string& relative);

// A fresh folder removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace test_support
