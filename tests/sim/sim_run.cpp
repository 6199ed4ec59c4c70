#include "sim/sim_run.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace sim_test {

SimRun::SimRun(int count, const std::string& chip, std::vector<std::string> extra)
    : own_state_(std::make_unique<test_support::TempDir>()), state_(own_state_->path()) {
  start(count, chip, std::move(extra));
}

SimRun::SimRun(const test_support::TempDir& state, int count, const std::string& chip, std::vector<std::string> extra)
    : state_(state.path()) {
  start(count, chip, std::move(extra));
}

void SimRun::start(int count, const std::string& chip, std::vector<std::string> extra) {
  std::vector<std::string> argv{test_support::bin_path("espprov-sim").string(), "--count", std::to_string(count),
                                "--chip", chip, "--state", state_.string()};
  bool pacing_given = false, timing_given = false;
  for (const auto& a : extra) {
    pacing_given |= a == "--baud-pacing";
    timing_given |= a == "--flash-timing";
  }
  if (!pacing_given) argv.insert(argv.end(), {"--baud-pacing", "off"});
  if (!timing_given) argv.insert(argv.end(), {"--flash-timing", "off"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<test_support::BackgroundProcess>(argv);
  auto list = nlohmann::json::parse(process_->read_line());
  for (const auto& d : list) {
    devices_.push_back({d.at("port"), d.at("chip"), d.at("mac"), d.at("flash")});
  }
}

std::string SimRun::control(const std::string& line) const { return control_request(state_ / "control", line); }

std::string control_request(const std::filesystem::path& socket_path, const std::string& line) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string path = socket_path.string();
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to " + path);
  }
  std::string request = line + "\n";
  [[maybe_unused]] auto sent = ::write(fd, request.data(), request.size());
  std::string answer;
  char c;
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 5000) > 0 && ::read(fd, &c, 1) == 1 && c != '\n') answer.push_back(c);
  ::close(fd);
  return answer;
}

}  // namespace sim_test
