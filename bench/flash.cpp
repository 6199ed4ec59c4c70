// Flash write speed against the physical limit: a 64 KiB credentials NVS image and a 1 MiB firmware-like image
// written (compressed, then verified by MD5) to a simulated board with wire pacing and datasheet flash timing on,
// at 115200 and 921600 baud. The limit is the bytes that crossed the wire at 10 bits a byte over the baud rate,
// plus the simulated flash time (firmware/host/README.md: erase 150 ms per aligned 64 KiB block, else 45 ms per
// 4 KiB sector; program 0.7 ms per 256-byte page). ESPPROV_BENCH_QUICK=1 skips the 1 MiB image at 115200.
// Then re-provisioning with only the WiFi password changed, fast reflash against a full write, at both rates.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "provision/loader.hpp"
#include "provision/nvs.hpp"

extern char** environ;

namespace {

namespace loader = provision::loader;
namespace asio = boost::asio;
using Bytes = std::vector<std::uint8_t>;

// espprov-sim with one board, pacing and flash timing on, in a fresh state folder.
class Simulator {
 public:
  explicit Simulator(const std::filesystem::path& state) {
    std::filesystem::create_directories(state);
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::string bin = std::string(ESPPROV_BIN_DIR) + "/espprov-sim";
    std::vector<std::string> args{bin, "--count", "1", "--chip", "esp32c3", "--state", state.string(),
                                  "--baud-pacing", "on", "--flash-timing", "on"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + bin + " (build it: cmake --build build-bench --target espprov-sim)");
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    std::string line;
    char c;
    pollfd p{out[0], POLLIN, 0};
    while (::poll(&p, 1, 20000) > 0 && ::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    ::close(out[0]);
    auto boards = nlohmann::json::parse(line);
    port_ = boards.at(0).at("port");
  }
  ~Simulator() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  const std::string& port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::string port_;
};

Bytes nvs_image(const std::string& wifi_password = "bench-password") {
  provision::Record device = provision::Record::object();
  device["uuid"] = "04e4822c-719e-45b0-b360-7e2819faca53";
  device["psk"] = std::string(64, 'a');
  device["mac"] = "A0:B1:C2:D3:E4:F5";
  std::mt19937 random(7);
  std::string cert = "-----BEGIN CERTIFICATE-----\n";
  for (int i = 0; i < 700; ++i) cert.push_back("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[random() % 64]);
  device["certificate"] = cert + "\n-----END CERTIFICATE-----\n";
  device["ca_cert"] = cert + "\n-----END CERTIFICATE-----\n";
  device["wifi_ssid"] = "Factory-Line-3";
  device["wifi_password"] = wifi_password;
  provision::nvs::CredentialsOptions options;
  options.size_bytes = 0x10000;
  return provision::nvs::build_credentials_image(device, options);
}

// Firmware-like: about half the bytes random, the rest runs of zeros (deflates to roughly 55-60 %).
Bytes firmware_image(std::size_t size) {
  Bytes out(size);
  std::mt19937 random(11);
  for (auto& b : out) b = (random() & 1) ? static_cast<std::uint8_t>(random()) : 0;
  return out;
}

double flash_seconds(std::uint32_t offset, std::size_t size) {
  double erase = 0;
  for (std::uint32_t at = offset; at < offset + size;) {
    if (at % 0x10000 == 0 && at + 0x10000 <= offset + size) {
      erase += 0.150;
      at += 0x10000;
    } else {
      erase += 0.045;
      at += 0x1000;
    }
  }
  return erase + 0.0007 * double((size + 255) / 256);
}

struct Run {
  const char* label;
  std::uint32_t offset;
  const Bytes* image;
  unsigned baud;
};

void measure(const Run& run) {
  std::filesystem::path state = std::filesystem::temp_directory_path() /
                                fmt::format("espprov-bench-flash-{}-{}", ::getpid(), run.baud);
  Simulator sim(state);
  std::array<std::chrono::steady_clock::time_point, 4> marks{};
  auto result = provision::serial::run_blocking<loader::WriteResult>([&]() -> asio::awaitable<loader::WriteResult> {
    auto link = co_await provision::serial::open_link(sim.port(), 115200);
    // Phase marks from the progress events: writing started, first and last data packet acknowledged.
    loader::Loader device(*link, [&](const provision::ProgressEvent& e) {
      auto now = std::chrono::steady_clock::now();
      if (e.state == provision::StepState::started) marks[0] = now;
      if (e.step == "loader" && e.message.rfind("wrote 1 of", 0) == 0) marks[1] = now;
      if (e.step == "loader" && e.fraction == 1.0 && e.message.rfind("wrote", 0) == 0) marks[2] = now;
      if (e.state == provision::StepState::done) marks[3] = now;
    });
    co_await device.connect(loader::BeforeReset::no_reset);
    co_await device.detect_chip();
    co_await device.change_baud(run.baud);
    co_await device.attach_flash();
    co_return co_await device.write_flash(run.offset, *run.image, {.compress = true, .verify = true, .force = true});
  });
  std::filesystem::remove_all(state);
  double wire = double(result.bytes_on_wire) * 10.0 / run.baud;
  double flash = flash_seconds(run.offset, run.image->size());
  double limit = wire + flash;
  fmt::print("flash {:>8} @ {:>6} baud: {:7.2f} s, {:>8} bytes on the wire ({:.0f} % of the image), limit {:6.2f} s "
             "(wire {:.2f} + flash {:.2f}), ratio {:.3f}\n",
             run.label, run.baud, result.seconds, result.bytes_on_wire,
             100.0 * double(result.bytes_on_wire) / double(run.image->size()), limit, wire, flash,
             result.seconds / limit);
  auto between = [&](int a, int b) { return std::chrono::duration<double>(marks[b] - marks[a]).count(); };
  fmt::print("      phases: begin + first packet {:.2f} s, other packets {:.2f} s, MD5 verify {:.2f} s\n",
             between(0, 1), between(1, 2), between(2, 3));
}

// Re-provisioning with only the WiFi password changed: the board holds the image with the old password; the
// fast reflash (per-sector MD5, differing sectors only) against a full write of the same image (--force).
void measure_reflash(unsigned baud, const Bytes& before, const Bytes& after) {
  std::filesystem::path state = std::filesystem::temp_directory_path() /
                                fmt::format("espprov-bench-reflash-{}-{}", ::getpid(), baud);
  Simulator sim(state);
  struct Pair {
    loader::WriteResult fast, full;
  };
  auto pair = provision::serial::run_blocking<Pair>([&]() -> asio::awaitable<Pair> {
    auto link = co_await provision::serial::open_link(sim.port(), 115200);
    loader::Loader device(*link);
    co_await device.connect(loader::BeforeReset::no_reset);
    co_await device.detect_chip();
    co_await device.change_baud(baud);
    co_await device.write_flash(0x3F0000, before, {.force = true});
    Pair p;
    p.fast = co_await device.write_flash(0x3F0000, after, {});
    co_await device.write_flash(0x3F0000, before, {.force = true});
    p.full = co_await device.write_flash(0x3F0000, after, {.force = true});
    co_return p;
  });
  std::filesystem::remove_all(state);
  for (const auto& [label, r] : {std::pair{"fast reflash", pair.fast}, std::pair{"full write  ", pair.full}}) {
    fmt::print("reflash nvs 64K, WiFi password changed, @ {:>6} baud, {}: {:6.2f} s, {:>6} bytes on the wire, "
               "{:>2}/{} sectors written, verified {}\n",
               baud, label, r.seconds, r.bytes_on_wire, r.sectors_written, r.sectors_total, r.verified);
  }
  fmt::print("      fast/full: time {:.2f}x, bytes on the wire {:.2f}x\n", pair.fast.seconds / pair.full.seconds,
             double(pair.fast.bytes_on_wire) / double(pair.full.bytes_on_wire));
}

}  // namespace

int main() {
  const bool quick = std::getenv("ESPPROV_BENCH_QUICK") != nullptr;
  const Bytes nvs = nvs_image();
  const Bytes firmware = firmware_image(1024 * 1024);
  std::vector<Run> runs{{"nvs 64K", 0x3F0000, &nvs, 115200}, {"nvs 64K", 0x3F0000, &nvs, 921600},
                        {"app 1M", 0x100000, &firmware, 921600}};
  if (!quick) runs.push_back({"app 1M", 0x100000, &firmware, 115200});
  for (const auto& run : runs) measure(run);
  const Bytes changed = nvs_image("bench-password-2");
  for (unsigned baud : {115200u, 921600u}) measure_reflash(baud, nvs, changed);
  fmt::print("flash target: ratio <= 1.25 (write + MD5 verify, compressed){}\n",
             quick ? "; quick mode: 1M at 115200 skipped" : "");
  return 0;
}
