// What the device knows about itself: the station's credentials (the `prov` partition, PROTOCOL.md §2) and its
// proof of possession (own NVS, §3).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "fw/nvs_store.hpp"
#include "fw/partition_table.hpp"
#include "fw/platform.hpp"

namespace fw {

constexpr const char* kCredentialsNamespace = "provision";

struct Credentials {
  std::string uuid;
  std::string psk;
  std::string mac;
  bool has_device_cert = false;
  bool has_device_key = false;
  bool has_ca_cert = false;
  std::optional<std::string> wifi_ssid;
  std::string wifi_password;

  bool provisioned() const { return !uuid.empty() && !psk.empty(); }
};

// Reads the credentials from an NVS image; missing keys stay empty.
Credentials credentials_from_nvs(const nvs::NvsImage& image, const std::string& ns);

// Reads the partition from flash and parses it; an image that did not arrive whole (nvs::image_is_whole) gives
// no credentials.
Credentials read_credentials(Platform& platform, const Partition& partition, const std::string& ns);

constexpr std::size_t kPopBytes = 32;
using ProofOfPossession = std::array<std::uint8_t, kPopBytes>;

struct PopResult {
  ProofOfPossession pop{};
  bool created = false;    // generated on this boot
  bool persisted = false;  // stored in NVS (false only when the NVS cannot be written)
};

// The PoP from namespace `device` key `pop`, or a new one from the CSPRNG, stored there.
PopResult load_or_create_pop(Platform& platform, nvs::NvsStore* store);

std::string format_mac(const std::array<std::uint8_t, 6>& mac);  // "A0:B1:C2:D3:E4:F5"
std::string to_lower_hex(const std::uint8_t* bytes, std::size_t length);

}  // namespace fw
