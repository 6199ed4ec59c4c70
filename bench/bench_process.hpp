// Child processes for the benchmarks that run the executables (line_faults, provision): a child whose stdout is
// read line by line (the CA's and the simulator's announcements), and a command whose stdout is captured. A
// header, not a .cpp: bench/CMakeLists.txt makes one benchmark of each .cpp here.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace bench {

struct Child {
  pid_t pid = -1;
  int out = -1;
  std::string pending;

  explicit Child(const std::vector<std::string>& argv) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + argv[0]);
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    out = pipe_fds[0];
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
    if (out >= 0) ::close(out);
  }
  std::string line(int timeout_ms = 120000) {  // generous: a loaded machine starts a CA slowly
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (pending.find('\n') == std::string::npos) {
      pollfd p{out, POLLIN, 0};
      if (std::chrono::steady_clock::now() > deadline || ::poll(&p, 1, 100) < 0) {
        throw std::runtime_error("no output from child");
      }
      if (p.revents & POLLIN) {
        char buf[4096];
        auto n = ::read(out, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("child closed its output");
        pending.append(buf, static_cast<std::size_t>(n));
      }
    }
    auto end = pending.find('\n');
    std::string first = pending.substr(0, end);
    pending.erase(0, end + 1);
    return first;
  }
};

// Runs argv (stderr to /dev/null) and returns its stdout; `exit_code` gets its exit status when given.
inline std::string run_capture(const std::vector<std::string>& argv, int* exit_code = nullptr) {
  std::string command;
  for (const auto& a : argv) command += "'" + a + "' ";
  command += "2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  int status = ::pclose(pipe);
  if (exit_code) *exit_code = WEXITSTATUS(status);
  return out;
}

}  // namespace bench
