// Turning a command's data lines into values (PROTOCOL.md 5.3, 5.4). Pure; malformed lines throw
// Error(protocol) naming the line.
#pragma once

#include <vector>

#include "provision/wifi/results.hpp"
#include "provision/wifi_at.hpp"

namespace provision::wifi::replies {

DeviceInfo parse_info(const std::vector<at::Line>& lines);
WifiStatus parse_status(const std::vector<at::Line>& lines);
std::vector<ScannedNetwork> parse_scan(const std::vector<at::Line>& lines);
std::vector<SavedNetwork> parse_list(const std::vector<at::Line>& lines);
std::string parse_pop(const std::vector<at::Line>& lines);

// +WIFI:CONNECTED,<ip>,<rssi> fills ip and rssi; +WIFI:FAILED,<reason> throws connect_failure(ssid, reason).
// Returns false for +WIFI:DISCONNECTED (not a result).
bool apply_connect_outcome(const at::Line& line, ConnectResult& result);

}  // namespace provision::wifi::replies
