// The test PostgreSQL fixture cleans up after a test process that is killed outright: no destructor runs then, so
// its watcher process must stop the server and remove its folder.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "support/postgres.hpp"

namespace postgres_fixture_test {

namespace {

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// What the helper process reports once its server runs: "PORT FOLDER\n".
std::string read_report(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

}  // namespace

TEST_CASE("test PostgreSQL fixture: a SIGKILLed test process leaves no server and no folder behind",
          "[support][postgres]") {
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t helper = ::fork();
  REQUIRE(helper >= 0);
  if (helper == 0) {  // the test process that gets killed: starts its own server and waits
    ::close(report[0]);
    try {
      test_support::PostgresServer server;
      const std::string line = std::to_string(server.port()) + " " + server.folder().string() + "\n";
      if (::write(report[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(1);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(report[1]);
  std::istringstream fields(read_report(report[0]));
  ::close(report[0]);
  int port = 0;
  std::string folder;
  fields >> port >> folder;
  REQUIRE(port > 0);
  REQUIRE(std::filesystem::exists(std::filesystem::path(folder) / "data" / "postmaster.pid"));
  CHECK(accepts(port));

  ::kill(helper, SIGKILL);
  ::waitpid(helper, nullptr, 0);

  // Bounded: an immediate shutdown takes well under a second; a loaded machine gets 60 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((accepts(port) || std::filesystem::exists(folder)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK_FALSE(accepts(port));
  CHECK_FALSE(std::filesystem::exists(folder));
}

}  // namespace postgres_fixture_test
