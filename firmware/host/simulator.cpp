#include "simulator.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "device_identity.hpp"
#include "partition_table.hpp"

namespace sim {

Simulator::Simulator(const SimOptions& options) : options_(options) {
  access_points_ = options.access_points_file ? load_access_points(*options.access_points_file)
                                              : default_access_points();
  std::filesystem::create_directories(options.state_dir);
  const auto macs = derive_macs(options.seed, options.count);
  for (int i = 0; i < options.count; ++i) devices_.push_back(make_board(i, macs[i], nullptr));
  control_ = std::make_unique<ControlSocket>(options.state_dir / "control",
                                             [this](const std::string& line) { return handle_control(line); });

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal_fd_ = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) throw std::runtime_error("cannot create a signalfd");
  ::signal(SIGPIPE, SIG_IGN);
}

std::unique_ptr<Device> Simulator::make_board(int index, const std::array<std::uint8_t, 6>& mac, PtyHandle* pty) {
  auto flash = std::make_unique<FlashImage>(options_.state_dir / (mac_file_stem(mac) + ".flash"), options_.flash_size);
  if (flash->created()) {
    const auto table = build_partition_table(options_.prov);
    flash->program(kPartitionTableOffset, table.data(), table.size());
  }
  DeviceConfig config;
  config.index = index;
  config.chip = *find_chip(options_.chip);
  config.mac = mac;
  config.flash_size = options_.flash_size;
  config.boot_mode = options_.boot_mode;
  config.baud_pacing = options_.baud_pacing;
  config.realistic_timing = options_.realistic_timing;
  config.faults = options_.faults;
  config.security = options_.security;
  config.seed = options_.seed;
  if (pty) return std::make_unique<Device>(config, std::move(flash), access_points_, *pty);
  return std::make_unique<Device>(config, std::move(flash), access_points_);
}

// An operator unplugs the board on this port and plugs in a blank one: same port, another MAC, a new flash image.
std::string Simulator::swap_board(Device* device) {
  for (auto& slot : devices_) {
    if (slot.get() != device) continue;
    const int index = slot->config().index;
    ++swaps_;
    const auto mac = derive_macs(options_.seed, options_.count + swaps_).back();
    PtyHandle pty = slot->release_pty();
    slot = make_board(index, mac, &pty);
    return nlohmann::json{{"index", index}, {"port", slot->port()}, {"mac", format_mac(mac)},
                          {"flash", slot->flash().path().string()}}.dump();
  }
  return "error: no such device";
}

Simulator::~Simulator() {
  devices_.clear();
  if (signal_fd_ >= 0) ::close(signal_fd_);
}

std::string Simulator::devices_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& device : devices_) {
    list.push_back({{"port", device->port()},
                    {"chip", std::string(device->config().chip.name)},
                    {"mac", format_mac(device->config().mac)},
                    {"flash", device->flash().path().string()}});
  }
  return list.dump();
}

std::vector<Device*> Simulator::select_devices(const std::string& target) {
  std::vector<Device*> selected;
  for (auto& device : devices_) {
    if (target == "all" || target == std::to_string(device->config().index) || target == device->port() ||
        target == format_mac(device->config().mac)) {
      selected.push_back(device.get());
    }
  }
  return selected;
}

std::string Simulator::handle_control(const std::string& line) {
  std::istringstream words(line);
  std::string verb, target;
  words >> verb >> target;
  if (verb == "list") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& device : devices_) {
      list.push_back({{"index", device->config().index},
                      {"port", device->port()},
                      {"mode", device->mode() == DeviceMode::download ? "download" : "app"}});
    }
    return list.dump();
  }
  if (verb != "download" && verb != "reset" && verb != "swap") {
    return "error: unknown command '" + verb + "' (download, reset, swap, list)";
  }
  auto selected = select_devices(target);
  if (selected.empty()) return "error: no device '" + target + "' (index, port, MAC or all)";
  if (verb == "swap") {
    if (target == "all" || selected.size() != 1) return "error: swap takes one device (index, port or MAC), not '" + target + "'";
    return swap_board(selected.front());
  }
  const auto mode = verb == "download" ? DeviceMode::download : DeviceMode::app;
  for (Device* device : selected) device->reset_into(mode, Clock::now(), Device::ResetOrigin::host_lines);
  return "ok";
}

void Simulator::handle_signals() {
  signalfd_siginfo info{};
  while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
    if (info.ssi_signo == SIGUSR1) {
      for (auto& device : devices_) {
        device->reset_into(DeviceMode::download, Clock::now(), Device::ResetOrigin::host_lines);
      }
    } else {
      stopping_ = true;
    }
  }
}

int Simulator::run() {
  std::vector<pollfd> fds;
  while (!stopping_) {
    const auto now = Clock::now();
    std::optional<Clock::time_point> wake;
    for (auto& device : devices_) {
      device->service(now);
      if (auto t = device->next_wakeup()) wake = wake ? std::min(*wake, *t) : *t;
    }
    int timeout_ms = -1;
    if (wake) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*wake - Clock::now()).count();
      timeout_ms = static_cast<int>(std::clamp<long long>(left, 0, 1000));
    }
    fds.clear();
    fds.push_back({signal_fd_, POLLIN, 0});
    const auto control_fds = control_->poll_fds();
    for (int fd : control_fds) fds.push_back({fd, POLLIN, 0});
    for (auto& device : devices_) {
      short events = static_cast<short>((device->wants_input() ? POLLIN : 0) |
                                        (device->wants_output_space() ? POLLOUT : 0));
      fds.push_back({device->master_fd(), events, 0});
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) return 1;
    const auto ready = Clock::now();
    if (fds[0].revents & POLLIN) handle_signals();
    for (std::size_t i = 0; i < control_fds.size(); ++i) {
      if (fds[1 + i].revents) control_->on_readable(fds[1 + i].fd);
    }
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      const auto revents = fds[1 + control_fds.size() + i].revents;
      if (revents & POLLIN) devices_[i]->on_readable(ready);
      if (revents & POLLOUT) devices_[i]->on_writable(ready);
    }
  }
  return 0;
}

}  // namespace sim
