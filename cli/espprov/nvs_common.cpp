#include "nvs_common.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "command.hpp"
#include "provision/error.hpp"
#include "provision/files.hpp"
#include "provision/hex.hpp"

namespace espprov {

void add_nvs_key_options(CLI::App& sub, NvsKeyOptions& options) {
  sub.add_flag("--encrypt", options.encrypt, "Encrypt every entry with XTS-AES-256 (needs --keys or --generate-keys)");
  sub.add_option("--keys", options.keys_file, "nvs_keys partition (4096 bytes) or 64 raw key bytes to encrypt with");
  sub.add_option("--generate-keys", options.generate_keys_file,
                 "Generate new keys, write their nvs_keys partition here (mode 0600) and encrypt with them");
}

std::optional<provision::nvs::XtsKeys> resolve_nvs_keys(const NvsKeyOptions& options) {
  using provision::Error;
  using provision::ErrorCode;
  if (!options.keys_file.empty() && !options.generate_keys_file.empty()) {
    throw Error(ErrorCode::usage, "give either --keys FILE (existing keys) or --generate-keys FILE (new keys)", "keys");
  }
  if (!options.keys_file.empty()) {
    return provision::nvs::parse_key_file(provision::read_file_bytes(options.keys_file));
  }
  if (!options.generate_keys_file.empty()) {
    auto keys = provision::nvs::generate_keys();
    provision::write_file_atomic(options.generate_keys_file, provision::nvs::key_partition_image(keys),
                                 provision::FileMode::secret);
    return keys;
  }
  if (options.encrypt) {
    throw Error(ErrorCode::usage,
                "--encrypt needs keys: --keys FILE (an nvs_keys partition) or --generate-keys FILE (creates one)",
                "keys");
  }
  return std::nullopt;
}

provision::nvs::FormatVersion parse_nvs_version(int version) {
  if (version == 1) return provision::nvs::FormatVersion::v1;
  if (version == 2) return provision::nvs::FormatVersion::v2;
  throw provision::Error(provision::ErrorCode::usage,
                         fmt::format("--version {}: NVS formats are 1 (single-page blobs) and 2 (multi-page blobs)",
                                     version),
                         "version");
}

std::string md5_hex(std::span<const std::uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    throw provision::Error(provision::ErrorCode::internal, "OpenSSL MD5 failed");
  }
  return provision::to_hex(std::span<const std::uint8_t>(digest, length));
}

std::string size_hex(std::size_t size) { return fmt::format("{:#x}", size); }

provision::nvs::FileLoader file_loader_relative_to(const std::string& csv_path) {
  std::filesystem::path base = csv_path == "-" ? std::filesystem::path(".")
                                               : std::filesystem::path(csv_path).parent_path();
  return [base](const std::string& path) {
    std::filesystem::path file(path);
    return provision::read_file_bytes(file.is_absolute() ? file : base / file);
  };
}

}  // namespace espprov
