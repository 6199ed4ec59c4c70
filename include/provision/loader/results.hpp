// The loader step's results as values and record fields (pure): the detected chip, the flash id, a write's
// options and outcome.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "provision/identity.hpp"
#include "provision/loader/chips.hpp"
#include "provision/record.hpp"

namespace provision::loader {

struct ChipInfo {
  const ChipFacts* facts = nullptr;
  std::string detected_by;                // "security_info" or "magic"
  std::optional<std::uint32_t> chip_id;   // GET_SECURITY_INFO's chip id, when the ROM has it
  std::optional<std::uint32_t> magic;     // the detection register, when it was read
  // GET_SECURITY_INFO's flags word and FLASH_CRYPT_CNT eFuse, when the ROM has the command (not the ESP32).
  std::optional<std::uint32_t> security_flags;
  std::optional<std::uint8_t> flash_crypt_cnt;
};

// GET_SECURITY_INFO flag bits (esptool loader.py SECURITY_INFO_FLAG_MAP, "the same across all targets in the ROM").
inline constexpr std::uint32_t kSecureBootEnabled = 1u << 0;
inline constexpr std::uint32_t kSecureDownloadEnabled = 1u << 2;
// Names of the set flag bits, lower-case ("secure_boot", "secure_download", "soft_dis_jtag", ...).
std::vector<std::string> security_flag_names(std::uint32_t flags);
// The ROM runs Secure Download Mode: it answers only the commands CommandInfo::in_secure_download marks.
bool secure_download_enabled(const ChipInfo& chip);
// Flash encryption is on when FLASH_CRYPT_CNT has an odd number of bits set (ESP-IDF "Flash Encryption": each
// enable/disable burns one more bit).
bool flash_encryption_enabled(const ChipInfo& chip);

struct FlashId {
  std::uint32_t jedec = 0;                  // manufacturer | memory type << 8 | capacity << 16
  std::optional<std::uint32_t> size_bytes;  // from the capacity code, when plausible
};

struct WriteOptions {
  bool compress = true;  // FLASH_DEFL_* with zlib; false = FLASH_BEGIN/DATA/END
  bool verify = true;    // SPI_FLASH_MD5 after writing, against the local MD5
  bool force = false;    // write even when the region already holds the data
  bool secret = false;   // the data holds secrets (the credentials partition): its bytes are masked in --trace
};

struct WriteResult {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
  std::string md5;              // lower-case hex of the data
  bool compressed = false;
  bool written = false;         // false when skipped
  bool verified = false;        // the device's MD5 matched after writing (or before, when skipped)
  bool skipped = false;         // the region already held the data
  std::size_t bytes_on_wire = 0;  // both directions, SLIP-framed, for this operation
  std::size_t resends = 0;        // requests sent again for this operation (see kMaxResends)
  std::uint32_t sectors_total = 0;    // 4 KiB flash sectors the region covers
  std::uint32_t sectors_written = 0;  // of them, the ones written (their MD5 differed, or --force, or no MD5)
  double seconds = 0;
};

// ---- record fields ----
// {"chip","features"} (+ "flash_size" as "4MB" when known; + "secure_download", "flash_encryption",
// "security_flags" where the ROM reports them).
Record chip_fields(const ChipInfo& chip, std::optional<std::uint32_t> flash_size = std::nullopt);
// {"mac","mac_hex"}: the identity step's fields, from the device.
Record device_mac_fields(const MacAddress& mac);
// {"offset":"0x3F0000","size":"0x10000","md5","compressed","written","flash_skipped","flash_verified","bytes_on_wire","resends",
// "sectors_total","sectors_written","seconds"}.
Record write_fields(const WriteResult& result);
// "4MB", "512KB", or the byte count.
std::string flash_size_text(std::uint32_t size_bytes);
// Lower-case hex MD5 (OpenSSL EVP).
std::string md5_hex(std::span<const std::uint8_t> data);

}  // namespace provision::loader
