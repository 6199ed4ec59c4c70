// Starts espprov-sim for a test and reads its device list (the first stdout line).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace sim_test {

struct SimDevice {
  std::string port;
  std::string chip;
  std::string mac;
  std::string flash;
};

// Sends one line to a simulator's control socket and returns the answer line.
std::string control_request(const std::filesystem::path& socket_path, const std::string& line);

class SimRun {
 public:
  // Extra arguments follow --count/--chip/--state; pacing and flash timing are off unless the test turns them on.
  SimRun(int count, const std::string& chip, std::vector<std::string> extra = {});
  SimRun(const test_support::TempDir& state, int count, const std::string& chip, std::vector<std::string> extra = {});
  const std::vector<SimDevice>& devices() const { return devices_; }
  const std::filesystem::path& state_dir() const { return state_; }
  test_support::BackgroundProcess& process() { return *process_; }
  // Sends one line to the control socket and returns the answer line.
  std::string control(const std::string& line) const;

 private:
  void start(int count, const std::string& chip, std::vector<std::string> extra);

  std::unique_ptr<test_support::TempDir> own_state_;
  std::filesystem::path state_;
  std::unique_ptr<test_support::BackgroundProcess> process_;
  std::vector<SimDevice> devices_;
};

}  // namespace sim_test
