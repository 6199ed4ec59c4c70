#include "support/postgres.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/postgres.hpp"

namespace test_support {
namespace {

// The newest installed server, e.g. /usr/lib/postgresql/15/bin.
std::string server_bin_dir() {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    if (std::filesystem::exists(entry.path() / "bin" / "initdb")) found.push_back(entry.path() / "bin");
  }
  if (found.empty()) {
    throw std::runtime_error("no PostgreSQL server in /usr/lib/postgresql; run scripts/setup (package postgresql)");
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::stoi(a.parent_path().filename().string()) < std::stoi(b.parent_path().filename().string());
  });
  return found.back().string();
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string shell_quoted(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) out += "'" + arg + "' ";
  return out;
}

const passwd* server_user() {
  if (const passwd* user = ::getpwnam("postgres")) return user;
  return ::getpwnam("nobody");
}

}  // namespace

PostgresServer::PostgresServer() : bin_(server_bin_dir()) {
  if (::geteuid() == 0) {
    const passwd* user = server_user();
    if (!user) throw std::runtime_error("running as root and no postgres or nobody user to run PostgreSQL as");
    // The server's user must reach its folder (the temp folder's parent is world-searchable /tmp or the like).
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                                  std::filesystem::perms::others_exec);
    if (::chown(dir_.path().c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::runtime_error("cannot hand the PostgreSQL folder to the server's user");
    }
  }
  auto init = run_process(as_server_user({bin_ + "/initdb", "-D", (dir_ / "data").string(), "-U", "espprov", "-A",
                                          "trust", "-E", "UTF8", "--no-locale", "--no-sync"}));
  if (init.exit_code != 0) throw std::runtime_error("initdb failed: " + init.err + init.out);
  start_watcher();
  start();
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (const std::exception&) {
  }
  end_watcher();
}

extern "C" char** environ;

// The watcher blocks in `read` on a pipe whose write end only this process holds (close-on-exec: the programs
// the tests run do not inherit it). When this process ends, however it ends, the read sees EOF and the watcher
// stops the server at once and removes its folder. Its own session: a signal to the test's process group (ctest's
// timeout) does not take it too.
void PostgresServer::start_watcher() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe for the PostgreSQL watcher");
  const std::string script =
      "read -r _; " +
      shell_quoted(as_server_user({bin_ + "/pg_ctl", "-D", (dir_ / "data").string(), "-m", "immediate", "-w", "stop"})) +
      ">/dev/null 2>&1; rm -rf " + shell_quoted({dir_.path().string()});
  std::vector<std::string> argv{"/bin/sh", "-c", script};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], 0);  // dup2 clears close-on-exec on the copy
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  const int rc = posix_spawn(&watcher_, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    watcher_ = -1;
    throw std::runtime_error("cannot start the PostgreSQL watcher");
  }
  watcher_pipe_ = fds[1];
}

// A normal end: the server is stopped already and TempDir removes the folder; the watcher must not race it.
void PostgresServer::end_watcher() {
  if (watcher_ > 0) {
    ::kill(watcher_, SIGKILL);
    ::waitpid(watcher_, nullptr, 0);
    watcher_ = -1;
  }
  if (watcher_pipe_ >= 0) ::close(watcher_pipe_);
  watcher_pipe_ = -1;
}

std::vector<std::string> PostgresServer::as_server_user(std::vector<std::string> argv) const {
  if (::geteuid() != 0) return argv;
  const passwd* user = server_user();
  std::vector<std::string> wrapped{"/usr/bin/setpriv", "--reuid=" + std::to_string(user->pw_uid),
                                   "--regid=" + std::to_string(user->pw_gid), "--clear-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

std::string PostgresServer::log_text() const {
  std::ifstream in(dir_ / "server.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void PostgresServer::start() {
  if (running_) return;
  // A port taken between our probe and the server's bind: try another.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = free_loopback_port();
    // fsync off: a test server's data need not survive a power cut, and commits are then fast.
    std::string settings = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                           " -c unix_socket_directories=" + dir_.path().string() +
                           " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
    auto started =
        run_process(as_server_user({bin_ + "/pg_ctl", "-D", (dir_ / "data").string(), "-l",
                                    (dir_ / "server.log").string(), "-o", settings, "-w", "-t", "30", "start"}));
    if (started.exit_code == 0) {
      running_ = true;
      return;
    }
  }
  throw std::runtime_error("PostgreSQL did not start: " + log_text());
}

void PostgresServer::stop() {
  if (!running_) return;
  run_process(as_server_user({bin_ + "/pg_ctl", "-D", (dir_ / "data").string(), "-m", "fast", "-w", "stop"}));
  running_ = false;
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://espprov@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::create_database() {
  std::string name = "test_" + std::to_string(++databases_);
  provision::postgres::Connection admin(url("postgres"), "test");
  admin.exec(("CREATE DATABASE " + name).c_str());
  return url(name);
}

PostgresServer& shared_postgres() {
  static PostgresServer server;
  return server;
}

}  // namespace test_support
