// The loader step's results as values and record fields (pure): the detected chip, the flash id, a write's
// options and outcome.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "provision/identity.hpp"
#include "provision/loader/chips.hpp"
#include "provision/record.hpp"

namespace provision::loader {

struct ChipInfo {
  const ChipFacts* facts = nullptr;
  std::string detected_by;                // "security_info" or "magic"
  std::optional<std::uint32_t> chip_id;   // GET_SECURITY_INFO's chip id, when the ROM has it
  std::optional<std::uint32_t> magic;     // the detection register, when it was read
};

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
  double seconds = 0;
};

// ---- record fields ----
// {"chip","features"} (+ "flash_size" as "4MB" when known).
Record chip_fields(const ChipInfo& chip, std::optional<std::uint32_t> flash_size = std::nullopt);
// {"mac","mac_hex"}: the identity step's fields, from the device.
Record device_mac_fields(const MacAddress& mac);
// {"offset":"0x3F0000","size","md5","compressed","written","verified","skipped","bytes_on_wire","seconds"}.
Record write_fields(const WriteResult& result);
// "4MB", "512KB", or the byte count.
std::string flash_size_text(std::uint32_t size_bytes);
// Lower-case hex MD5 (OpenSSL EVP).
std::string md5_hex(std::span<const std::uint8_t> data);

}  // namespace provision::loader
