// The wifi step's results as record fields, and the Error each firmware answer stands for. Pure.
#include <fmt/format.h>

#include "provision/wifi/results.hpp"
#include "provision/wifi_settings.hpp"
#include "wifi/shown.hpp"

namespace provision::wifi {

Record connect_fields(const ConnectResult& result) {
  Record fields = Record::object();
  fields["wifi_ssid"] = result.ssid;
  fields["ip"] = result.ip;
  fields["rssi"] = result.rssi_dbm;
  return fields;
}

Record info_fields(const DeviceInfo& info) {
  Record fields = Record::object();
  fields["fw_name"] = info.fw_name;
  fields["fw_version"] = info.fw_version;
  fields["chip"] = info.chip;
  fields["mac"] = info.mac;
  fields["uuid"] = info.uuid;
  fields["credentials"] = info.credentials;
  fields["cert"] = info.cert;
  fields["wifi_state"] = info.wifi_state;
  fields["wifi_saved"] = info.saved_networks;
  return fields;
}

Record status_fields(const WifiStatus& status) {
  Record fields = Record::object();
  fields["wifi_state"] = status.state;
  fields["wifi_ssid"] = status.ssid;
  fields["ip"] = status.ip;
  fields["rssi"] = status.rssi_dbm;
  return fields;
}

Record scan_fields(const std::vector<ScannedNetwork>& networks) {
  Record list = Record::array();
  for (const auto& n : networks) {
    list.push_back(Record{{"ssid", n.ssid}, {"rssi", n.rssi_dbm}, {"auth", n.auth}, {"channel", n.channel}});
  }
  return Record{{"networks", list}};
}

Record saved_fields(const std::vector<SavedNetwork>& networks) {
  Record list = Record::array();
  for (const auto& n : networks) list.push_back(Record{{"index", n.index}, {"ssid", n.ssid}});
  return Record{{"saved", list}};
}

Error firmware_error(std::string_view command_name, std::string_view code) {
  const std::string what = shown(code, 40);
  if (code == "list_full") {
    return Error(ErrorCode::wifi_list_full,
                 fmt::format("the device already holds {} saved networks (its limit); delete one first (espprov wifi "
                             "delete --ssid S) or reuse a saved SSID",
                             kMaxSavedNetworks),
                 "ssid");
  }
  if (code == "ssid_length") {
    return Error(ErrorCode::bad_input,
                 fmt::format("ssid: the firmware refused its length (ERROR:ssid_length); an SSID has 1..{} bytes",
                             kSsidMaxBytes),
                 "ssid");
  }
  if (code == "password_length" || code == "password_chars") {
    return Error(ErrorCode::bad_input,
                 fmt::format("password: the firmware refused it (ERROR:{}); a passphrase has {}..{} printable ASCII "
                             "characters, or exactly {} hex digits",
                             what, kPassphraseMinChars, kPassphraseMaxChars, kRawKeyHexDigits),
                 "password");
  }
  std::string hint;
  if (code == "not_found") hint = "; that SSID is not saved (espprov wifi list shows the saved ones)";
  if (code == "busy") hint = "; a connection attempt is running, wait for it and try again";
  if (code == "flash") hint = "; the device could not write its NVS partition";
  if (code == "bad_argument" && command_name == "WIFI_PRIO") hint = "; the index must be below the number saved";
  return Error(ErrorCode::firmware_error, fmt::format("the firmware answered AT+{} with ERROR:{}{}", command_name, what, hint),
               code == "not_found" ? "ssid" : "");
}

Error connect_failure(std::string_view ssid, std::string_view reason) {
  const std::string name = shown(ssid);
  if (reason == "wrong_password") {
    return Error(ErrorCode::wifi_wrong_password,
                 fmt::format("WiFi '{}': the access point refused the password; check it (and --open for an open "
                             "network)",
                             name),
                 "password");
  }
  if (reason == "ap_not_found") {
    return Error(ErrorCode::wifi_ap_not_found,
                 fmt::format("WiFi '{}': no access point with this SSID in range; check the spelling (SSIDs are "
                             "case-sensitive) or run espprov wifi scan",
                             name),
                 "ssid");
  }
  if (reason == "timeout") {
    return Error(ErrorCode::wifi_timeout,
                 fmt::format("WiFi '{}': the device reports no connection in time (timeout); check the access point "
                             "and its signal",
                             name));
  }
  return Error(ErrorCode::wifi_failed,
               fmt::format("WiFi '{}': the connection failed (reason '{}')", name, shown(reason, 40)));
}

}  // namespace provision::wifi
