// A real PostgreSQL server (Debian's `postgresql` package) for tests: initdb in a temp folder, pg_ctl start on a
// free loopback port, stop at the end. PostgreSQL refuses to run as root, so when the tests run as root the
// server runs as the unprivileged `postgres` user the package creates (or `nobody`), through setpriv.
// A test process killed outright (SIGKILL, a ctest timeout) runs no destructor: a watcher process started with the
// server stops it and removes its folder when the test process's end of a pipe closes.
#pragma once

#include <sys/types.h>

#include <string>

#include "support/process.hpp"

namespace test_support {

class PostgresServer {
 public:
  PostgresServer();  // initdb + start; throws std::runtime_error with the server's log when it cannot
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A fresh, empty database on this server; returns its URL (postgresql://espprov@127.0.0.1:PORT/NAME).
  std::string create_database();
  std::string url(const std::string& database) const;
  int port() const { return port_; }
  const std::filesystem::path& folder() const { return dir_.path(); }

  void start();
  void stop();  // fast shutdown: sessions are cut, as when the database host goes away

 private:
  std::vector<std::string> as_server_user(std::vector<std::string> argv) const;
  std::string log_text() const;
  void start_watcher();
  void end_watcher();

  TempDir dir_;
  std::string bin_;  // /usr/lib/postgresql/<version>/bin
  int port_ = 0;
  bool running_ = false;
  int databases_ = 0;
  pid_t watcher_ = -1;
  int watcher_pipe_ = -1;  // our end; the watcher reads EOF when the last holder of it ends
};

// One server per test process, started on first use and stopped at exit: each test takes its own database.
PostgresServer& shared_postgres();

}  // namespace test_support
