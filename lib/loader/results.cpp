// The loader's results as device record fields (README "The device record").
#include <fmt/format.h>
#include <openssl/evp.h>

#include <bit>
#include <cmath>
#include <iterator>

#include "provision/hex.hpp"
#include "provision/loader/results.hpp"

namespace provision::loader {

std::string md5_hex(std::span<const std::uint8_t> data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    throw Error(ErrorCode::internal, "OpenSSL could not compute an MD5");
  }
  return to_hex(std::span<const std::uint8_t>(digest, length));
}

std::string flash_size_text(std::uint32_t size_bytes) {
  if (size_bytes >= 1024 * 1024 && size_bytes % (1024 * 1024) == 0) return fmt::format("{}MB", size_bytes >> 20);
  if (size_bytes >= 1024 && size_bytes % 1024 == 0) return fmt::format("{}KB", size_bytes >> 10);
  return std::to_string(size_bytes);
}

Record chip_fields(const ChipInfo& chip, std::optional<std::uint32_t> flash_size) {
  Record fields = Record::object();
  if (!chip.facts) return fields;
  fields["chip"] = std::string(chip.facts->name);
  Record features = Record::array();
  std::string_view list = chip.facts->features;
  while (!list.empty()) {
    auto comma = list.find(',');
    features.push_back(std::string(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  fields["features"] = features;
  if (flash_size) fields["flash_size"] = flash_size_text(*flash_size);
  if (chip.security_flags) {
    fields["secure_download"] = secure_download_enabled(chip);
    fields["flash_encryption"] = flash_encryption_enabled(chip);
    Record names = Record::array();
    for (const auto& name : security_flag_names(*chip.security_flags)) names.push_back(name);
    fields["security_flags"] = names;
  }
  return fields;
}

std::vector<std::string> security_flag_names(std::uint32_t flags) {
  // Bit n of the flags word (esptool loader.py SECURITY_INFO_FLAG_MAP).
  static constexpr std::string_view kNames[] = {"secure_boot",          "secure_boot_aggressive_revoke",
                                                "secure_download",      "secure_boot_key_revoke0",
                                                "secure_boot_key_revoke1", "secure_boot_key_revoke2",
                                                "soft_dis_jtag",        "hard_dis_jtag",
                                                "dis_usb",              "dis_download_dcache",
                                                "dis_download_icache"};
  std::vector<std::string> names;
  for (std::size_t bit = 0; bit < std::size(kNames); ++bit) {
    if (flags & (1u << bit)) names.emplace_back(kNames[bit]);
  }
  return names;
}

bool secure_download_enabled(const ChipInfo& chip) {
  return chip.security_flags && (*chip.security_flags & kSecureDownloadEnabled) != 0;
}

bool flash_encryption_enabled(const ChipInfo& chip) {
  return chip.flash_crypt_cnt && std::popcount(unsigned(*chip.flash_crypt_cnt)) % 2 == 1;
}

Record device_mac_fields(const MacAddress& mac) { return mac_fields(mac); }

Record write_fields(const WriteResult& result) {
  Record fields = Record::object();
  fields["offset"] = fmt::format("0x{:X}", result.offset);
  fields["size"] = fmt::format("0x{:X}", result.size);  // hex, like offset and nvs_size (device_record.hpp)
  fields["md5"] = result.md5;
  fields["compressed"] = result.compressed;
  fields["written"] = result.written;
  fields["flash_skipped"] = result.skipped;
  fields["flash_verified"] = result.verified;  // the MD5 check; `verified` is provision's identity check
  fields["bytes_on_wire"] = result.bytes_on_wire;
  fields["resends"] = result.resends;
  fields["sectors_total"] = result.sectors_total;
  fields["sectors_written"] = result.sectors_written;
  fields["seconds"] = std::round(result.seconds * 1000.0) / 1000.0;
  return fields;
}

}  // namespace provision::loader
