#include "wifi/wifi_support.hpp"

#include <poll.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace wifi_test {

const std::vector<TestAp>& hostile_aps() {
  static const std::vector<TestAp> aps{
      {"espprov-lab", "correct horse battery", -42},
      {"Cafe, \"Guest\" = free", "p@ss,word=\"x\"", -55},
      {"back\\slash net", "back\\slash\\pass", -61},
      {"Caf\xC3\xA9 \xE2\x98\x95 Stra\xC3\x9F" "e", "Gr\\u00fcn \"wald\", =x", -67},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", -70},
      {"open lobby", "", -58},
      {"spaces  and ,,commas,", " lead and trail ", -60},
  };
  return aps;
}

std::filesystem::path write_hostile_aps(const test_support::TempDir& dir) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& ap : hostile_aps()) {
    list.push_back({{"ssid", ap.ssid}, {"password", ap.password}, {"rssi", ap.rssi_dbm},
                    {"auth", ap.password.empty() ? "open" : "wpa2"}, {"channel", 6}, {"connect_ms", 150}});
  }
  list.push_back({{"ssid", "silent-ap"}, {"password", "nobody answers"}, {"rssi", -80}, {"connect_ms", 10000},
                  {"answers", false}});
  auto path = dir / "hostile-aps.json";
  std::ofstream(path) << list.dump();
  return path;
}

ScriptedPeer::ScriptedPeer() {
  char name[256];
  if (::openpty(&master_, &slave_, name, nullptr, nullptr) != 0) throw std::runtime_error("openpty failed");
  path_ = name;
  termios raw{};
  ::tcgetattr(slave_, &raw);
  ::cfmakeraw(&raw);
  ::tcsetattr(slave_, TCSANOW, &raw);
}

ScriptedPeer::~ScriptedPeer() {
  {
    std::lock_guard guard(mutex_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  ::close(master_);
  ::close(slave_);
}

void ScriptedPeer::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::write(master_, bytes.data() + sent, bytes.size() - sent);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

std::string ScriptedPeer::received() {
  std::lock_guard guard(mutex_);
  return received_;
}

void ScriptedPeer::run(std::string greeting, Answer answer) {
  thread_ = std::thread([this, greeting = std::move(greeting), answer = std::move(answer)] {
    send(greeting);
    std::string pending;
    while (true) {
      {
        std::lock_guard guard(mutex_);
        if (stop_) return;
      }
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[512];
      auto n = ::read(master_, buf, sizeof buf);
      if (n <= 0) continue;
      {
        std::lock_guard guard(mutex_);
        received_.append(buf, static_cast<std::size_t>(n));
      }
      pending.append(buf, static_cast<std::size_t>(n));
      // An Improv frame is read by its length field; anything else up to its line feed.
      while (true) {
        std::size_t used = 0;
        bool frame = false;
        if (pending.rfind("IMPROV", 0) == 0 && pending.size() >= 9) {
          std::size_t total = 10 + static_cast<unsigned char>(pending[8]);
          if (pending.size() < total) break;
          used = total;
          frame = true;
        } else {
          auto end = pending.find('\n');
          if (end == std::string::npos) break;
          used = end + 1;
        }
        std::string unit = pending.substr(0, used);
        pending.erase(0, used);
        while (!frame && !unit.empty() && (unit.back() == '\n' || unit.back() == '\r')) unit.pop_back();
        if (unit.empty()) continue;
        send(answer(unit));
      }
    }
  });
}

}  // namespace wifi_test
