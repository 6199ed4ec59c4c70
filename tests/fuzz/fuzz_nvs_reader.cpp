// The NVS reader over arbitrary bytes: it must never crash, hang or read out of bounds, with or without keys.
#include <cstddef>
#include <cstdint>
#include <span>

#include "provision/nvs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> image(data, size);
  const auto report = provision::nvs::read_image(image);
  // Reading the same bytes as an encrypted image exercises decryption of whatever the headers claim.
  static const auto keys = provision::nvs::keys_from_hmac(std::vector<std::uint8_t>(32, 0x5A));
  if (size % 2 == 0) (void)provision::nvs::read_image(image, keys);
  // A verdict of valid must come with content the writer accepts.
  if (report.valid()) provision::nvs::validate(report.content, provision::nvs::FormatVersion::v2);
  return 0;
}
