#include "wifi/replies.hpp"

#include <fmt/format.h>

#include <array>
#include <algorithm>
#include <cctype>
#include <charconv>

#include "provision/error.hpp"
#include "wifi/shown.hpp"

namespace provision::wifi::replies {
namespace {

Error malformed(const at::Line& line, std::string_view why) {
  return Error(ErrorCode::protocol, fmt::format("the firmware sent +{}:{} ({}); it breaks the console contract "
                                                "(PROTOCOL.md 5.3)",
                                                shown(line.name, 20), shown(line.arguments), why));
}

std::vector<std::string> arguments_of(const at::Line& line, std::size_t count) {
  auto values = at::parse_arguments(line.arguments);
  if (values.size() != count) {
    throw malformed(line, fmt::format("{} values, expected {}", values.size(), count));
  }
  return values;
}

int to_int(const at::Line& line, std::string_view text, std::string_view what) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    throw malformed(line, fmt::format("{} '{}' is not a number", what, shown(text, 20)));
  }
  return value;
}

bool to_yes_no(const at::Line& line, std::string_view text, std::string_view what) {
  if (text == "yes") return true;
  if (text == "no") return false;
  throw malformed(line, fmt::format("{} '{}' is neither yes nor no", what, shown(text, 20)));
}

template <typename Each>
void for_each_named(const std::vector<at::Line>& lines, std::string_view name, Each each) {
  for (const auto& line : lines) {
    if (line.name == name) each(line);
  }
}

}  // namespace

DeviceInfo parse_info(const std::vector<at::Line>& lines) {
  static constexpr std::array<std::string_view, 9> kKeys{"fw_name", "fw_version", "chip", "mac",  "uuid",
                                                          "credentials", "cert",   "wifi", "saved"};
  DeviceInfo info;
  std::array<bool, kKeys.size()> seen{};
  for_each_named(lines, "INFO", [&](const at::Line& line) {
    auto values = arguments_of(line, 2);
    const auto& key = values[0];
    const auto& value = values[1];
    auto known = std::find(kKeys.begin(), kKeys.end(), key);
    if (known == kKeys.end()) return;  // a newer firmware may add keys
    seen[static_cast<std::size_t>(known - kKeys.begin())] = true;
    if (key == "fw_name") info.fw_name = value;
    if (key == "fw_version") info.fw_version = value;
    if (key == "chip") info.chip = value;
    if (key == "mac") info.mac = value;
    if (key == "uuid") info.uuid = value;
    if (key == "credentials") info.credentials = to_yes_no(line, value, "credentials");
    if (key == "cert") info.cert = to_yes_no(line, value, "cert");
    if (key == "wifi") info.wifi_state = value;
    if (key == "saved") info.saved_networks = to_int(line, value, "saved");
  });
  std::string missing;
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (!seen[i]) missing += (missing.empty() ? "" : ", ") + std::string(kKeys[i]);
  }
  if (!missing.empty()) {
    throw Error(ErrorCode::protocol,
                fmt::format("the firmware's AT+INFO? answer lacks {} (PROTOCOL.md 5.3 lists nine keys)", missing));
  }
  return info;
}

WifiStatus parse_status(const std::vector<at::Line>& lines) {
  for (const auto& line : lines) {
    if (line.name != "WIFI_STATUS") continue;
    auto values = arguments_of(line, 4);
    return WifiStatus{values[0], values[1], values[2], to_int(line, values[3], "rssi")};
  }
  throw Error(ErrorCode::protocol, "the firmware answered AT+WIFI_STATUS? without a +WIFI_STATUS line");
}

std::vector<ScannedNetwork> parse_scan(const std::vector<at::Line>& lines) {
  std::vector<ScannedNetwork> networks;
  for_each_named(lines, "WIFI_SCAN", [&](const at::Line& line) {
    auto values = arguments_of(line, 4);
    networks.push_back({values[0], to_int(line, values[1], "rssi"), values[2], to_int(line, values[3], "channel")});
  });
  return networks;
}

std::vector<SavedNetwork> parse_list(const std::vector<at::Line>& lines) {
  std::vector<SavedNetwork> networks;
  for_each_named(lines, "WIFI_LIST", [&](const at::Line& line) {
    auto values = arguments_of(line, 2);
    networks.push_back({to_int(line, values[0], "index"), values[1]});
  });
  return networks;
}

std::string parse_pop(const std::vector<at::Line>& lines) {
  for (const auto& line : lines) {
    if (line.name != "POP") continue;
    std::vector<std::string> values;
    try {
      values = at::parse_arguments(line.arguments);
    } catch (const Error&) {
      values.clear();  // the codec's message would quote the line, and with it the secret
    }
    bool hex64 = values.size() == 1 && values[0].size() == 64 &&
                 std::all_of(values[0].begin(), values[0].end(), [](char c) {
                   return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                 });
    // The PoP is a secret: the message says what is wrong with it, never what it is.
    if (!hex64) throw Error(ErrorCode::protocol, "the firmware's +POP line does not hold 64 hex digits");
    std::string pop = values[0];
    for (auto& c : pop) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return pop;
  }
  throw Error(ErrorCode::protocol, "the firmware answered AT+POP? without a +POP line");
}

bool apply_connect_outcome(const at::Line& line, ConnectResult& result) {
  auto values = at::parse_arguments(line.arguments);
  if (values.empty()) throw malformed(line, "no outcome");
  if (values[0] == "CONNECTED") {
    if (values.size() != 3) throw malformed(line, "CONNECTED needs ip and rssi");
    result.ip = values[1];
    result.rssi_dbm = to_int(line, values[2], "rssi");
    return true;
  }
  if (values[0] == "FAILED") {
    throw connect_failure(result.ssid, values.size() > 1 ? values[1] : std::string("other"));
  }
  return false;  // DISCONNECTED, or an outcome a newer firmware may add
}

}  // namespace provision::wifi::replies
