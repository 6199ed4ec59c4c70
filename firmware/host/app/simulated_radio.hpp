// The radio of a simulated board: scans the access point table and turns a connect request into the event a
// real station would see after the time it would take.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "access_points.hpp"
#include "fw/platform.hpp"

namespace sim {

class SimulatedRadio {
 public:
  using Clock = std::chrono::steady_clock;

  SimulatedRadio(const std::vector<AccessPoint>& access_points, int device_index, bool realistic_timing);

  std::vector<fw::ScanResult> scan() const;
  void connect(const std::string& ssid, const std::string& password, Clock::time_point now);
  void disconnect(Clock::time_point now);

  // The next event due at `now`, if any.
  std::optional<fw::WifiEvent> take_due_event(Clock::time_point now);
  std::optional<Clock::time_point> next_event_time() const;

 private:
  struct Pending {
    Clock::time_point due;
    fw::WifiEvent event;
  };
  bool password_matches(const AccessPoint& ap, const std::string& password) const;
  void schedule(Clock::time_point due, fw::WifiEvent event);

  const std::vector<AccessPoint>& access_points_;
  int device_index_;
  bool realistic_timing_;
  bool connected_ = false;
  std::deque<Pending> pending_;
};

}  // namespace sim
