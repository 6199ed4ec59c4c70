// Registrations per second against the real espprov-ca over HTTPS on loopback: 64 concurrent clients, each on
// one kept-alive connection, the station making an EC P-256 key and CSR per device, the CA checking the CSR,
// signing and committing to SQLite (WAL, synchronous=FULL) before it answers, the client checking the chain.
#include <fmt/format.h>

#include <utility>  // before Asio: boost/asio/awaitable.hpp (1.74) uses std::exchange

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "provision/ca.hpp"
#include "provision/record.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {

namespace asio = boost::asio;
namespace ca = provision::ca;
using Clock = std::chrono::steady_clock;

int kClients = 64;     // argv[1] overrides (for profiling runs)
int kPerClient = 80;  // argv[2] overrides

double cpu_seconds(const rusage& usage) {
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  char buffer[512];
  while (pipe && std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
  if (pipe) ::pclose(pipe);
  return out;
}

asio::awaitable<void> client_loop(const ca::Client& client, int index, std::vector<double>& latencies_ms) {
  ca::Connection connection(client, co_await asio::this_coro::executor);
  for (int i = 0; i < kPerClient; ++i) {
    int n = index * kPerClient + i;
    ca::DeviceIdentity id;
    id.uuid = fmt::format("{:08x}-1111-4222-8333-444455556666", n);
    id.mac = fmt::format("A0B1C2{:06X}", n);
    id.psk = std::string(64, 'a');
    id.type = "esp32s3";
    auto start = Clock::now();
    try {
      co_await connection.register_device(id);
    } catch (const std::exception& e) {
      fmt::print(stderr, "ca_register: device {}: {}\n", n, e.what());
      co_return;
    }
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) kClients = std::max(1, std::atoi(argv[1]));
  if (argc > 2) kPerClient = std::max(1, std::atoi(argv[2]));
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("bench-ca-{}", ::getpid());
  const std::string bin = ESPPROV_BIN_DIR "/espprov-ca";
  shell(fmt::format("{} init {} >/dev/null", bin, dir.string()));
  const std::string token = "bench-token";
  const std::string token_file = (dir / "token").string();
  shell(fmt::format("printf '%s\\n' {} > {} && chmod 600 {}", token, token_file, token_file));
  int out[2];
  if (::pipe(out) != 0) return 1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    // ESPPROV_BENCH_CA_WRAPPER runs the CA under a profiler, e.g. "valgrind --tool=callgrind".
    if (const char* wrapper = std::getenv("ESPPROV_BENCH_CA_WRAPPER")) {
      const std::string command =
          "exec " + std::string(wrapper) + " \"$0\" serve --dir \"$1\" --listen 127.0.0.1:0 --token-file \"$2\"";
      ::execl("/bin/sh", "sh", "-c", command.c_str(), bin.c_str(), dir.c_str(), token_file.c_str(), nullptr);
    }
    ::execl(bin.c_str(), bin.c_str(), "serve", "--dir", dir.c_str(), "--listen", "127.0.0.1:0", "--token-file",
            token_file.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  while (line.empty() || line[0] != '{') {  // the server's one JSON line
    line.clear();
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  }
  const auto url = provision::Record::parse(line)["listening"].get<std::string>();

  ca::ClientOptions options;
  options.url = url;
  options.ca_bundle = (dir / "ca.pem").string();
  options.token = token;
  options.trusted_ca_pem = shell(fmt::format("cat {}", (dir / "ca.pem").string()));
  options.timeout = std::chrono::seconds(60);
  ca::Client client(options);
  asio::io_context io;
  std::vector<std::vector<double>> latencies(kClients);
  const auto start = Clock::now();
  for (int i = 0; i < kClients; ++i) asio::co_spawn(io, client_loop(client, i, latencies[i]), asio::detached);
  io.run();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  ::kill(pid, SIGTERM);
  rusage server_usage{}, client_usage{};
  ::wait4(pid, nullptr, 0, &server_usage);
  ::getrusage(RUSAGE_SELF, &client_usage);
  std::filesystem::remove_all(dir);
  if (all.size() != static_cast<std::size_t>(kClients * kPerClient)) {
    fmt::print("ca_register: only {} of {} registrations succeeded\n", all.size(), kClients * kPerClient);
    return 1;
  }
  fmt::print("ca_register: {} registrations over HTTPS keep-alive, {} clients: {:.0f}/s, p50 {:.1f} ms, "
             "p99 {:.1f} ms\n",
             all.size(), kClients, all.size() / seconds, all[all.size() / 2], all[all.size() * 99 / 100]);
  // CPU per registration does not depend on what else the machine runs: 2 cores / (client + server) is the
  // ceiling on an idle 2-core machine with the station on the same machine as the CA.
  const double client_ms = cpu_seconds(client_usage) * 1000 / all.size();
  const double server_ms = cpu_seconds(server_usage) * 1000 / all.size();
  fmt::print("ca_register: CPU per registration: station {:.2f} ms, CA {:.2f} ms (CA alone on 2 cores: {:.0f}/s)\n",
             client_ms, server_ms, 2000 / server_ms);
  return 0;
}
