// Registrations per second against the real espprov-ca over HTTPS on loopback: 64 concurrent clients, each on
// one kept-alive connection, the station making an EC P-256 key and CSR per device, the CA checking the CSR,
// signing and committing to SQLite (WAL, synchronous=FULL) before it answers, the client checking the chain.
// Then the same load on PostgreSQL (a throw-away server, default durability): one CA instance, and two instances
// on one database with the clients split between them, as a factory runs them behind a load balancer.
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
#include <memory>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "provision/ca.hpp"
#include "provision/record.hpp"

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

// The CA under test: one or more `espprov-ca serve` on one registry, clients spread over them round robin.
struct Setup {
  std::string name;
  int servers = 1;
  std::string db;  // "" = the CA folder's SQLite registry
};

struct Servers {
  std::vector<pid_t> pids;
  std::vector<std::string> urls;
};

Servers start_servers(const std::string& bin, const std::filesystem::path& dir, const std::string& token_file,
                      const Setup& setup) {
  Servers servers;
  for (int s = 0; s < setup.servers; ++s) {
    int out[2];
    if (::pipe(out) != 0) std::exit(1);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      std::vector<std::string> args{bin, "serve", "--dir", dir.string(), "--listen", "127.0.0.1:0", "--token-file",
                                    token_file};
      if (!setup.db.empty()) args.insert(args.end(), {"--db", setup.db});
      // Instances sharing one machine share its cores: each gets its part, as an operator would size them.
      const long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
      args.insert(args.end(), {"--threads", std::to_string(std::max(1L, cores / setup.servers))});
      // ESPPROV_BENCH_CA_WRAPPER runs the CA under a profiler, e.g. "valgrind --tool=callgrind".
      if (const char* wrapper = std::getenv("ESPPROV_BENCH_CA_WRAPPER")) args.insert(args.begin(), wrapper);
      std::string command = "exec";
      for (const auto& a : args) command += " '" + a + "'";
      ::execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c;
    while (line.empty() || line[0] != '{') {  // the server's one JSON line
      line.clear();
      while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
      if (line.empty()) break;
    }
    if (line.empty()) {
      fmt::print(stderr, "ca_register: {}: the CA did not start\n", setup.name);
      std::exit(1);
    }
    servers.pids.push_back(pid);
    servers.urls.push_back(provision::Record::parse(line)["listening"].get<std::string>());
  }
  return servers;
}

// A throw-away PostgreSQL 15 (Debian's package) on a free loopback port, with its default durability (fsync on,
// synchronous_commit on): as durable as the SQLite registry's synchronous=FULL. PostgreSQL refuses root: as root
// it runs as the package's `postgres` user.
struct Postgres {
  std::filesystem::path dir;
  std::string as_user, bin;
  int port = 0;
  bool started = false;

  Postgres() {
    dir = std::filesystem::temp_directory_path() / fmt::format("bench-pg-{}", ::getpid());
    bin = shell("ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1");
    while (!bin.empty() && bin.back() == '\n') bin.pop_back();
    if (bin.empty()) return;
    std::filesystem::create_directories(dir);
    if (::geteuid() == 0) {
      as_user = "setpriv --reuid=postgres --regid=postgres --clear-groups --";
      shell(fmt::format("chown postgres: {} && chmod 755 {}", dir.string(), dir.string()));
    }
    port = 20000 + ::getpid() % 20000;
    const auto init = fmt::format("{} {}/initdb -D {}/data -U espprov -A trust -E UTF8 --no-locale >/dev/null 2>&1 "
                                  "&& echo ok",
                                  as_user, bin, dir.string());
    if (shell(init).find("ok") == std::string::npos) return;
    const auto start = fmt::format(
        "{} {}/pg_ctl -D {}/data -l {}/log -w -o \"-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=200\" "
        "start >/dev/null 2>&1 && echo ok",
        as_user, bin, dir.string(), dir.string(), port, dir.string());
    started = shell(start).find("ok") != std::string::npos;
  }
  ~Postgres() {
    if (started) shell(fmt::format("{} {}/pg_ctl -D {}/data -m fast -w stop >/dev/null 2>&1", as_user, bin, dir.string()));
    std::filesystem::remove_all(dir);
  }
  std::string create(const std::string& name) {
    shell(fmt::format("{}/psql -X -q 'postgresql://espprov@127.0.0.1:{}/postgres' -c 'CREATE DATABASE {}'", bin, port,
                      name));
    return fmt::format("postgresql://espprov@127.0.0.1:{}/{}", port, name);
  }
};

// Returns registrations per second, or a negative value when some failed.
double run(const Setup& setup) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("bench-ca-{}", ::getpid());
  const std::string bin = ESPPROV_BIN_DIR "/espprov-ca";
  shell(fmt::format("{} init {} {} >/dev/null", bin, dir.string(), setup.db.empty() ? "" : "--db '" + setup.db + "'"));
  const std::string token = "bench-token";
  const std::string token_file = (dir / "token").string();
  shell(fmt::format("printf '%s\\n' {} > {} && chmod 600 {}", token, token_file, token_file));
  Servers servers = start_servers(bin, dir, token_file, setup);

  std::vector<std::unique_ptr<ca::Client>> clients;
  for (const auto& url : servers.urls) {
    ca::ClientOptions options;
    options.url = url;
    options.ca_bundle = (dir / "ca.pem").string();
    options.token = token;
    options.trusted_ca_pem = shell(fmt::format("cat {}", (dir / "ca.pem").string()));
    options.timeout = std::chrono::seconds(60);
    clients.push_back(std::make_unique<ca::Client>(options));
  }
  asio::io_context io;
  std::vector<std::vector<double>> latencies(kClients);
  const auto start = Clock::now();
  for (int i = 0; i < kClients; ++i) {
    asio::co_spawn(io, client_loop(*clients[i % clients.size()], i, latencies[i]), asio::detached);
  }
  io.run();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  double server_cpu = 0;
  for (pid_t pid : servers.pids) {
    ::kill(pid, SIGTERM);
    rusage usage{};
    ::wait4(pid, nullptr, 0, &usage);
    server_cpu += cpu_seconds(usage);
  }
  std::filesystem::remove_all(dir);
  if (all.size() != static_cast<std::size_t>(kClients * kPerClient)) {
    fmt::print("ca_register: {}: only {} of {} registrations succeeded\n", setup.name, all.size(),
               kClients * kPerClient);
    return -1;
  }
  fmt::print("ca_register: {}: {} registrations over HTTPS keep-alive, {} clients: {:.0f}/s, p50 {:.1f} ms, "
             "p99 {:.1f} ms; CA CPU {:.2f} ms per registration\n",
             setup.name, all.size(), kClients, all.size() / seconds, all[all.size() / 2], all[all.size() * 99 / 100],
             server_cpu * 1000 / all.size());
  return all.size() / seconds;
}

}  // namespace

// argv: [clients [per-client]]. ESPPROV_BENCH_CA_DB=sqlite runs the SQLite figure only, =postgres the PostgreSQL
// figures only (for profiling).
int main(int argc, char** argv) {
  if (argc > 1) kClients = std::max(1, std::atoi(argv[1]));
  if (argc > 2) kPerClient = std::max(1, std::atoi(argv[2]));
  const std::string only = std::getenv("ESPPROV_BENCH_CA_DB") ? std::getenv("ESPPROV_BENCH_CA_DB") : "";
  double sqlite = 0;
  if (only != "postgres") {
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    sqlite = run({"SQLite, 1 instance", 1, ""});
    if (sqlite < 0) return 1;
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    fmt::print("ca_register: station CPU per registration {:.2f} ms\n",
               (cpu_seconds(after) - cpu_seconds(before)) * 1000 / (kClients * kPerClient));
  }
  if (only == "sqlite") return 0;
  Postgres postgres;
  if (!postgres.started) {
    fmt::print("ca_register: PostgreSQL: no server could be started (package postgresql); skipped\n");
    return 1;
  }
  const double one = run({"PostgreSQL, 1 instance", 1, postgres.create("bench_one")});
  const double two = run({"PostgreSQL, 2 instances", 2, postgres.create("bench_two")});
  if (one < 0 || two < 0) return 1;
  if (sqlite > 0) {
    fmt::print("ca_register: PostgreSQL 2 instances / SQLite 1 instance = {:.2f} (target >= 1)\n", two / sqlite);
  }
  return 0;
}
