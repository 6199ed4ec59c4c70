// The wifi step's pure parts: what the firmware's AT answers mean (firmware/PROTOCOL.md section 5) as values,
// their record fields, and the Error each failure stands for. No I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "provision/error.hpp"
#include "provision/record.hpp"

namespace provision::wifi {

// ---- results ---------------------------------------------------------------------------------------------------

struct ConnectResult {
  std::string ssid;
  std::string ip;
  int rssi_dbm = 0;
  bool rebooted = false;  // AT+REBOOT was sent and the firmware came back (+READY)
};

struct DeviceInfo {
  std::string fw_name;
  std::string fw_version;
  std::string chip;  // esp32c3, ...
  std::string mac;   // A0:B1:C2:D3:E4:F5
  std::string uuid;  // empty when not provisioned
  bool credentials = false;
  bool cert = false;
  std::string wifi_state;  // idle, connecting, connected, failed
  int saved_networks = 0;
};

struct WifiStatus {
  std::string state;
  std::string ssid;
  std::string ip;
  int rssi_dbm = 0;
};

struct ScannedNetwork {
  std::string ssid;
  int rssi_dbm = 0;
  std::string auth;  // open, wep, wpa, wpa2, wpa3, wpa2_wpa3
  int channel = 0;
};

struct SavedNetwork {
  int index = 0;  // priority, 0 first
  std::string ssid;
};

// ---- record fields ---------------------------------------------------------------------------------------------

// wifi_ssid, ip, rssi
Record connect_fields(const ConnectResult& result);
// fw_name, fw_version, chip, mac, uuid, credentials, cert, wifi_state, wifi_saved
Record info_fields(const DeviceInfo& info);
// wifi_state, wifi_ssid, ip, rssi
Record status_fields(const WifiStatus& status);
// {"networks": [{ssid, rssi, auth, channel}, ...]}
Record scan_fields(const std::vector<ScannedNetwork>& networks);
// {"saved": [{index, ssid}, ...]}
Record saved_fields(const std::vector<SavedNetwork>& networks);

// The Error an ERROR:<code> answer to `command_name` (e.g. "WIFI_ADD") stands for.
Error firmware_error(std::string_view command_name, std::string_view code);
// The Error a +WIFI:FAILED,<reason> stands for.
Error connect_failure(std::string_view ssid, std::string_view reason);

}  // namespace provision::wifi
