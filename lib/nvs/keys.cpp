// The nvs_keys partition (ESP-IDF nvs_sec_provider / nvs_flash_generate_keys): two 32-byte XTS keys and their CRC.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>

#include "layout.hpp"
#include "provision/error.hpp"
#include "provision/nvs.hpp"

namespace provision::nvs {
namespace {

// ESP-IDF's HMAC scheme (nvs_sec_provider, CONFIG_NVS_SEC_HMAC): each key is HMAC-SHA256 of a fixed 32-byte
// pattern under the eFuse HMAC key, so the keys never need to be stored.
constexpr std::array<std::uint8_t, 4> kDataKeySeed{0x5A, 0x5A, 0xBE, 0xAE};
constexpr std::array<std::uint8_t, 4> kTweakKeySeed{0xA5, 0xA5, 0xDE, 0xCE};

std::array<std::uint8_t, 32> hmac_sha256_of_pattern(std::span<const std::uint8_t> hmac_key,
                                                    const std::array<std::uint8_t, 4>& seed) {
  std::array<std::uint8_t, 32> message{};
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = seed[i % seed.size()];
  std::array<std::uint8_t, 32> out{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), hmac_key.data(), static_cast<int>(hmac_key.size()), message.data(), message.size(),
           out.data(), &length) == nullptr ||
      length != out.size()) {
    throw Error(ErrorCode::internal, "OpenSSL HMAC-SHA256 failed");
  }
  return out;
}

}  // namespace

XtsKeys generate_keys() {
  XtsKeys keys;
  do {
    if (RAND_bytes(keys.data_key.data(), 32) != 1 || RAND_bytes(keys.tweak_key.data(), 32) != 1) {
      throw Error(ErrorCode::internal, "OpenSSL's random generator failed");
    }
  } while (keys.data_key == keys.tweak_key);
  return keys;
}

XtsKeys keys_from_hmac(std::span<const std::uint8_t> hmac_key) {
  if (hmac_key.size() != 32) {
    throw Error(ErrorCode::bad_input,
                fmt::format("hmac key: {} bytes; the eFuse HMAC key has exactly 32", hmac_key.size()), "hmac_key");
  }
  return XtsKeys{hmac_sha256_of_pattern(hmac_key, kDataKeySeed), hmac_sha256_of_pattern(hmac_key, kTweakKeySeed)};
}

std::vector<std::uint8_t> key_partition_image(const XtsKeys& keys) {
  std::vector<std::uint8_t> image(kPageSize, 0xFF);
  std::copy(keys.data_key.begin(), keys.data_key.end(), image.begin());
  std::copy(keys.tweak_key.begin(), keys.tweak_key.end(), image.begin() + 32);
  layout::store_u32(image.data() + 64, crc32(std::span(image.data(), 64)));
  return image;
}

XtsKeys parse_key_file(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != 64 && bytes.size() < 68) {
    throw Error(ErrorCode::bad_input,
                fmt::format("keys: the key file has {} bytes; expected the 4096-byte nvs_keys partition or 64 raw "
                            "key bytes (create one with espprov nvs-keygen)",
                            bytes.size()),
                "keys");
  }
  if (std::all_of(bytes.begin(), bytes.begin() + 64, [](std::uint8_t b) { return b == 0xFF; })) {
    throw Error(ErrorCode::bad_input, "keys: the key file is erased (all 0xFF); generate keys with espprov nvs-keygen",
                "keys");
  }
  if (bytes.size() >= 68) {
    const std::uint32_t stored = layout::load_u32(bytes.data() + 64);
    const std::uint32_t computed = crc32(bytes.first(64));
    if (stored != computed) {
      throw Error(ErrorCode::bad_input,
                  fmt::format("keys: the key partition's CRC32 is {:#010x} but its keys give {:#010x}; the file is "
                              "damaged or not an nvs_keys partition",
                              stored, computed),
                  "keys");
    }
  }
  XtsKeys keys;
  std::copy_n(bytes.begin(), 32, keys.data_key.begin());
  std::copy_n(bytes.begin() + 32, 32, keys.tweak_key.begin());
  return keys;
}

}  // namespace provision::nvs
