// nvs_partition_gen's CSV over arbitrary text. Whatever parses must build (or be refused with an Error) and
// whatever builds must read back valid with the same content: a round-trip oracle, not just a crash check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "provision/error.hpp"
#include "provision/nvs.hpp"
#include "provision/nvs_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace nvs = provision::nvs;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nvs::Content content;
  try {
    content = nvs::content_from_csv(text, [](const std::string&) -> std::vector<std::uint8_t> {
      return {'4', '2'};  // every file row reads the same small file
    });
  } catch (const provision::Error&) {
    return 0;
  }
  nvs::BuildOptions options;
  options.size_bytes = 0x80000;
  std::vector<std::uint8_t> image;
  try {
    image = nvs::build_image(content, options);
  } catch (const provision::Error&) {
    return 0;
  }
  const auto report = nvs::read_image(image);
  if (!report.valid() || !(report.content == content)) std::abort();
  return 0;
}
