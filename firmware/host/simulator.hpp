// All simulated devices in one process, driven by one thread: poll() over every pty, the control socket and a
// signalfd (SIGTERM/SIGINT stop, SIGUSR1 puts every device into download mode).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "access_points.hpp"
#include "control_socket.hpp"
#include "device.hpp"
#include "sim_options.hpp"

namespace sim {

class Simulator {
 public:
  explicit Simulator(const SimOptions& options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  std::string devices_json() const;  // [{"port","chip","mac","flash"}...]
  int run();                         // until SIGTERM/SIGINT; returns the exit code

 private:
  std::string handle_control(const std::string& line);
  std::unique_ptr<Device> make_board(int index, const std::array<std::uint8_t, 6>& mac, PtyHandle* pty);
  std::string swap_board(Device* device);
  std::string flash_operations(const std::vector<Device*>& devices) const;
  std::string arm_power_cut(const std::vector<Device*>& devices, const std::string& count);
  std::string unplug_boards(const std::vector<Device*>& selected);
  std::string plug_board(const std::string& mac_text);
  std::vector<Device*> select_devices(const std::string& target);
  void handle_signals();

  SimOptions options_;
  int swaps_ = 0;  // boards plugged in by `swap` so far (their MACs follow the first --count ones)
  std::vector<AccessPoint> access_points_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::unique_ptr<ControlSocket> control_;
  int signal_fd_ = -1;
  bool stopping_ = false;
};

}  // namespace sim
