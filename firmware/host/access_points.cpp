#include "access_points.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace sim {

std::vector<AccessPoint> default_access_points() {
  return {
      {"espprov-lab", "correct horse battery", -42, "wpa2", 6, 300, true},
      {"Cafe, \"Guest\" = free", "p@ss,word=\"x\"", -55, "wpa2_wpa3", 11, 300, true},
      {"back\\slash net", "back\\slash\\pass", -61, "wpa2", 1, 300, true},
      {"Caf\xC3\xA9 \xE2\x98\x95 Stra\xC3\x9F" "e", "muenchen-2024", -67, "wpa3", 36, 300, true},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", -70,
       "wpa2", 3, 300, true},
      {"open lobby", "", -58, "open", 1, 300, true},
      {"silent-ap", "nobody answers", -80, "wpa2", 13, 10000, false},
  };
}

std::vector<AccessPoint> load_access_points(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the access point file " + path.string());
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("the access point file " + path.string() + " is not JSON: " + e.what());
  }
  if (!doc.is_array()) throw std::runtime_error("the access point file must hold a JSON array of objects");
  std::vector<AccessPoint> result;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto& entry = doc[i];
    try {
      AccessPoint ap;
      ap.ssid = entry.at("ssid").get<std::string>();
      ap.password = entry.value("password", std::string{});
      ap.rssi_dbm = entry.value("rssi", -50);
      ap.auth = entry.value("auth", ap.password.empty() ? std::string("open") : std::string("wpa2"));
      ap.channel = entry.value("channel", 1);
      ap.connect_ms = entry.value("connect_ms", 300);
      ap.answers = entry.value("answers", true);
      if (ap.ssid.empty() || ap.ssid.size() > 32) throw std::runtime_error("ssid must be 1..32 bytes");
      result.push_back(std::move(ap));
    } catch (const std::exception& e) {
      throw std::runtime_error("access point entry " + std::to_string(i) + " in " + path.string() + ": " + e.what());
    }
  }
  return result;
}

}  // namespace sim
