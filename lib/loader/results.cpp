// The loader's results as device record fields (README "The device record").
#include <fmt/format.h>
#include <openssl/evp.h>

#include <cmath>

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
  return fields;
}

Record device_mac_fields(const MacAddress& mac) { return mac_fields(mac); }

Record write_fields(const WriteResult& result) {
  Record fields = Record::object();
  fields["offset"] = fmt::format("0x{:X}", result.offset);
  fields["size"] = result.size;
  fields["md5"] = result.md5;
  fields["compressed"] = result.compressed;
  fields["written"] = result.written;
  fields["verified"] = result.verified;
  fields["skipped"] = result.skipped;
  fields["bytes_on_wire"] = result.bytes_on_wire;
  fields["resends"] = result.resends;
  fields["seconds"] = std::round(result.seconds * 1000.0) / 1000.0;
  return fields;
}

}  // namespace provision::loader
