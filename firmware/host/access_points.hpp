// The simulated radio environment: access points a device in app mode can scan and join.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sim {

struct AccessPoint {
  std::string ssid;       // raw bytes, 1..32
  std::string password;   // "" for an open network
  int rssi_dbm = -50;
  std::string auth = "wpa2";  // open, wep, wpa, wpa2, wpa3, wpa2_wpa3
  int channel = 1;
  int connect_ms = 300;   // association + 4-way handshake + DHCP
  bool answers = true;    // false: the AP never answers, the attempt ends in a timeout
};

// A table with hostile SSIDs (commas, quotes, '=', spaces, backslash, UTF-8, 32 bytes) and an open network.
std::vector<AccessPoint> default_access_points();

// A JSON array of {ssid, password, rssi, auth, channel, connect_ms, answers}; throws std::runtime_error with the
// offending entry on a malformed file.
std::vector<AccessPoint> load_access_points(const std::filesystem::path& path);

}  // namespace sim
