#include "support/postgres.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
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
  start();
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (const std::exception&) {
  }
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
