#include "device_identity.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <set>

namespace sim {
namespace {

// Organisationally unique identifiers registered to Espressif Inc. (IEEE MA-L registry).
constexpr std::array<std::array<std::uint8_t, 3>, 8> kEspressifOuis = {{{0x24, 0x0A, 0xC4},
                                                                        {0x30, 0xAE, 0xA4},
                                                                        {0x7C, 0xDF, 0xA1},
                                                                        {0x84, 0xF7, 0x03},
                                                                        {0xA0, 0xB7, 0x65},
                                                                        {0xC8, 0x2B, 0x96},
                                                                        {0xE8, 0xDB, 0x84},
                                                                        {0x34, 0x85, 0x18}}};

Mac mac_candidate(std::uint64_t seed, int index, int attempt) {
  char text[96];
  std::snprintf(text, sizeof text, "espprov-sim/%llu/%d/%d", static_cast<unsigned long long>(seed), index, attempt);
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(text, std::char_traits<char>::length(text), digest, &length, EVP_sha256(), nullptr);
  const auto& oui = kEspressifOuis[digest[0] % kEspressifOuis.size()];
  return {oui[0], oui[1], oui[2], digest[1], digest[2], digest[3]};
}

}  // namespace

std::vector<Mac> derive_macs(std::uint64_t seed, int count) {
  std::vector<Mac> macs;
  std::set<Mac> seen;
  for (int index = 0; index < count; ++index) {
    for (int attempt = 0;; ++attempt) {
      Mac mac = mac_candidate(seed, index, attempt);
      if (seen.insert(mac).second) {
        macs.push_back(mac);
        break;
      }
    }
  }
  return macs;
}

std::string format_mac(const Mac& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02X:%02X:%02X:%02X:%02X:%02X", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

std::string mac_file_stem(const Mac& mac) {
  char text[13];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

}  // namespace sim
