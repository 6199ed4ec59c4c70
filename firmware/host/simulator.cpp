#include "simulator.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
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
  config.reset_circuit = options_.reset_circuit;
  if (pty) return std::make_unique<Device>(config, std::move(flash), access_points_, *pty);
  return std::make_unique<Device>(config, std::move(flash), access_points_);
}

// An operator unplugs the board on this port and plugs in a blank one: same port, another MAC, a new flash image.
// `flash-ops <target>`: program/erase operations each board's flash has started since the simulator began (a test
// takes the difference around a command), and whether the board has power.
std::string Simulator::flash_operations(const std::vector<Device*>& devices) const {
  nlohmann::json list = nlohmann::json::array();
  for (const Device* device : devices) {
    list.push_back({{"index", device->config().index},
                    {"operations", device->flash_operations()},
                    {"powered", device->powered()}});
  }
  return list.dump();
}

// `power-cut <target> <N>`: the next N flash operations complete and the one after is cut; `power-cut <target> off`.
std::string Simulator::arm_power_cut(const std::vector<Device*>& devices, const std::string& count) {
  if (count == "off") {
    for (Device* device : devices) device->disarm_power_cut();
    return "ok";
  }
  if (count.empty() || count.find_first_not_of("0123456789") != std::string::npos || count.size() > 18) {
    return "error: power-cut expects a number of flash operations or off, not '" + count + "'";
  }
  for (Device* device : devices) device->arm_power_cut(std::stoull(count));
  return "ok";
}

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

// The cable is pulled: the pty's master closes, so the port disappears and a station holding it reads an error.
std::string Simulator::unplug_boards(const std::vector<Device*>& selected) {
  for (Device* device : selected) {
    std::erase_if(devices_, [device](const std::unique_ptr<Device>& slot) { return slot.get() == device; });
  }
  return "ok";
}

// A board on a new port (as a USB device enumerates), in the --boot mode: the next MAC of the seed, or a board
// unplugged earlier (`plug MAC`: its flash image is kept).
std::string Simulator::plug_board(const std::string& mac_text) {
  Mac mac{};
  if (!mac_text.empty()) {
    unsigned b[6];
    char end = 0;
    if (std::sscanf(mac_text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                    &end) != 6) {
      return "error: plug takes nothing (a new board) or the MAC of an unplugged one (AA:BB:CC:DD:EE:FF)";
    }
    for (int i = 0; i < 6; ++i) mac[i] = static_cast<std::uint8_t>(b[i]);
    for (const auto& device : devices_) {
      if (device->config().mac == mac) return "error: board " + mac_text + " is plugged in already";
    }
  }
  ++swaps_;
  if (mac_text.empty()) mac = derive_macs(options_.seed, options_.count + swaps_).back();
  const int index = options_.count + swaps_ - 1;  // never an index an earlier board had
  devices_.push_back(make_board(index, mac, nullptr));
  const auto& board = *devices_.back();
  return nlohmann::json{{"index", index}, {"port", board.port()}, {"mac", format_mac(mac)},
                        {"flash", board.flash().path().string()}}.dump();
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
  if (verb == "plug") return plug_board(target);
  if (verb != "download" && verb != "reset" && verb != "swap" && verb != "lines" && verb != "unplug" &&
      verb != "power-cut" && verb != "flash-ops") {
    return "error: unknown command '" + verb +
           "' (download, reset, lines, swap, unplug, plug, list, power-cut, flash-ops)";
  }
  auto selected = select_devices(target);
  if (selected.empty()) return "error: no device '" + target + "' (index, port, MAC or all)";
  if (verb == "flash-ops") return flash_operations(selected);
  if (verb == "power-cut") {
    std::string count;
    words >> count;
    return arm_power_cut(selected, count);
  }
  if (verb == "swap") {
    if (target == "all" || selected.size() != 1) return "error: swap takes one device (index, port or MAC), not '" + target + "'";
    return swap_board(selected.front());
  }
  if (verb == "unplug") return unplug_boards(selected);
  if (verb == "lines") {
    // lines <target> <dtr> <rts>: the host's modem lines, 1 = asserted (what a pty cannot carry)
    std::string dtr, rts;
    words >> dtr >> rts;
    if ((dtr != "0" && dtr != "1") || (rts != "0" && rts != "1")) {
      return "error: lines takes the target, then DTR and RTS as 0 or 1 (lines 0 1 0)";
    }
    for (Device* device : selected) device->set_lines(dtr == "1", rts == "1", Clock::now());
    return "ok";
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
    const std::size_t boards_polled = devices_.size();
    const int plugs_before = swaps_;
    for (std::size_t i = 0; i < control_fds.size(); ++i) {
      if (fds[1 + i].revents) control_->on_readable(fds[1 + i].fd);
    }
    // A board plugged or unplugged by the control: the poll entries no longer line up; poll again.
    if (devices_.size() != boards_polled || swaps_ != plugs_before) continue;
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      const auto revents = fds[1 + control_fds.size() + i].revents;
      if (revents & POLLIN) devices_[i]->on_readable(ready);
      if (revents & POLLOUT) devices_[i]->on_writable(ready);
    }
  }
  return 0;
}

}  // namespace sim
