// espprov flash: write a file to a board's flash over the ROM loader, verified by MD5 (skipped when the region
// already holds it).
#include <fmt/format.h>

#include "command.hpp"
#include "loader_common.hpp"
#include "provision/files.hpp"

namespace {

struct FlashOptions {
  espprov::LoaderFlags device;
  std::string offset;
  std::string file;
  bool no_verify = false;
  bool no_compress = false;
  bool force = false;
  bool plaintext = false;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<FlashOptions>();
  auto* sub = app.add_subcommand("flash", "Write FILE to flash at --offset, verify by MD5 (record: offset, size, md5, ...)");
  sub->footer(std::string("Examples:\n"
                          "  espprov flash --port /dev/ttyUSB0 --offset 0x3F0000 prov.bin\n"
                          "  espprov flash --port /dev/ttyUSB0 --flash-baud 921600 --offset 0x9000 nvs.bin\n"
                          "  espprov nvs-build ... | espprov flash --in - --port /dev/ttyUSB0 --offset 0x3F0000 nvs.bin\n"
                          "The write is skipped when the region's MD5 already matches (\"skipped\": true) unless "
                          "--force.") +
              espprov::kLoaderHelp);
  sub->add_option("--offset", options->offset, "Flash offset, hex (0x3F0000) or decimal")->required();
  sub->add_option("FILE", options->file, "The image to write ('-' = stdin)")->required();
  sub->add_flag("--no-verify", options->no_verify, "Do not compare the flash MD5 after writing");
  sub->add_flag("--no-compress", options->no_compress, "Plain FLASH_DATA packets instead of zlib (FLASH_DEFL_*)");
  sub->add_flag("--force", options->force, "Write every sector, even when the flash holds the data");
  sub->add_flag("--plaintext", options->plaintext,
                "On a chip with flash encryption: the region is not flash-encrypted (an NVS partition), write it");
  espprov::add_loader_flags(*sub, options->device);
  sub->callback([options] {
    auto offset = espprov::parse_u32(options->offset, "offset");
    auto image = std::make_shared<std::vector<std::uint8_t>>(provision::read_file_bytes(options->file));
    provision::loader::WriteOptions write{!options->no_compress, !options->no_verify, options->force};
    espprov::run_loader_command(
        options->device,
        [offset, image, write, plaintext = options->plaintext](
            provision::loader::Loader& loader, provision::Record& record) -> boost::asio::awaitable<void> {
          if (loader.flash_encryption() && !plaintext) {
            // The ROM writes what it gets; an encrypted region (app, bootloader, partition table, nvs_keys) would
            // then hold plaintext the chip decrypts into garbage.
            throw provision::Error(provision::ErrorCode::flash_encrypted,
                                   fmt::format("flash encryption is enabled on {}: espprov writes plaintext only, "
                                               "which an encrypted partition cannot read; nothing was written. "
                                               "Pass --plaintext if 0x{:X} is a partition the chip does not "
                                               "encrypt (an NVS partition), else write it with esptool --encrypt",
                                               loader.link().name(), offset),
                                   "offset");
          }
          auto result = co_await loader.write_flash(offset, *image, write);
          provision::merge_into(record, provision::loader::write_fields(result));
        });
  });
}

const espprov::CommandRegistrar registrar{60, setup};

}  // namespace
