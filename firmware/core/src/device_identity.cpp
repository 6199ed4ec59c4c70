#include "fw/device_identity.hpp"

#include <cstring>
#include <vector>

namespace fw {

Credentials credentials_from_nvs(const nvs::NvsImage& image, const std::string& ns) {
  Credentials credentials;
  credentials.uuid = image.get_string(ns, "uuid").value_or("");
  credentials.psk = image.get_string(ns, "psk").value_or("");
  credentials.mac = image.get_string(ns, "mac").value_or("");
  credentials.has_device_cert = image.get_string(ns, "device_cert").has_value();
  credentials.has_device_key = image.get_string(ns, "device_key").has_value();
  credentials.has_ca_cert = image.get_string(ns, "ca_cert").has_value();
  credentials.wifi_ssid = image.get_string(ns, "wifi_ssid");
  credentials.wifi_password = image.get_string(ns, "wifi_password").value_or("");
  return credentials;
}

Credentials read_credentials(Platform& platform, const Partition& partition, const std::string& ns) {
  std::vector<std::uint8_t> bytes(partition.size);
  if (partition.size == 0 || !platform.flash_read(partition.offset, bytes.data(), bytes.size())) return {};
  // The station writes the partition in one go and the firmware never repairs it (read-only): an image that did
  // not arrive whole (the station's flash was cut) is no identity at all, not half of one.
  if (!nvs::image_is_whole(bytes.data(), bytes.size())) return {};
  return credentials_from_nvs(nvs::NvsImage::parse(bytes.data(), bytes.size()), ns);
}

PopResult load_or_create_pop(Platform& platform, nvs::NvsStore* store) {
  PopResult result;
  if (store) {
    auto stored = store->get_blob("device", "pop");
    if (stored && stored->size() == kPopBytes) {
      std::memcpy(result.pop.data(), stored->data(), kPopBytes);
      result.persisted = true;
      return result;
    }
  }
  platform.random_bytes(result.pop.data(), result.pop.size());
  result.created = true;
  if (store) {
    result.persisted =
        store->set_blob("device", "pop", std::string(reinterpret_cast<const char*>(result.pop.data()), kPopBytes));
  }
  return result;
}

std::string format_mac(const std::array<std::uint8_t, 6>& mac) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i) out.push_back(':');
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0x0F]);
  }
  return out;
}

std::string to_lower_hex(const std::uint8_t* bytes, std::size_t length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

}  // namespace fw
