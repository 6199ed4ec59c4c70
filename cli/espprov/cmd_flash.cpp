// espprov flash: write a file to a board's flash over the ROM loader, verified by MD5 (skipped when the region
// already holds it).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "command.hpp"
#include "loader_common.hpp"
#include "nvs_common.hpp"
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

// A record that describes an image (nvs-build's nvs_md5, nvs_size) is the image's receipt: FILE must be that image,
// byte for byte, or it may be another board's file left from an earlier run.
void require_image_of_record(const provision::Record& record, const std::string& file,
                             const std::vector<std::uint8_t>& image) {
  auto md5 = record.find("nvs_md5");
  if (md5 == record.end() || !md5->is_string()) return;
  const std::string expected_md5 = md5->get<std::string>();
  const std::string found_md5 = espprov::md5_hex(image);
  std::string expected_size = record.value("nvs_size", std::string());
  const std::string found_size = espprov::size_hex(image.size());
  bool size_differs = !expected_size.empty() && espprov::parse_u32(expected_size, "nvs_size") != image.size();
  const bool md5_same = expected_md5.size() == found_md5.size() &&
                        std::equal(found_md5.begin(), found_md5.end(), expected_md5.begin(), [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                        });
  if (md5_same && !size_differs) return;
  throw provision::Error(
      provision::ErrorCode::record_mismatch,
      fmt::format("{} (md5 {}, size {}) is not the image the input record describes (nvs_md5 {}, nvs_size {}{}); "
                  "it may be another board's file: nothing was written. Flash the file the record's step wrote, "
                  "or run that step again",
                  file, found_md5, found_size, expected_md5, expected_size.empty() ? "?" : expected_size,
                  record.contains("nvs_file") ? ", nvs_file " + record.value("nvs_file", std::string()) : ""),
      "nvs_md5");
}

void setup(CLI::App& app) {
  auto options = std::make_shared<FlashOptions>();
  auto* sub = app.add_subcommand("flash", "Write FILE to flash at --offset, verify by MD5 (record: offset, size, md5, ...)");
  sub->footer(std::string("Examples:\n"
                          "  espprov flash --port /dev/ttyUSB0 --offset 0x3F0000 prov.bin\n"
                          "  espprov flash --port /dev/ttyUSB0 --flash-baud 921600 --offset 0x9000 nvs.bin\n"
                          "  espprov mac --port /dev/ttyUSB0 --after no-reset | espprov uuid --in - \\\n"
                          "    | espprov psk --in - | espprov nvs-build --in - --out nvs.bin \\\n"
                          "    | espprov flash --in - --port /dev/ttyUSB0 --offset 0x3F0000 nvs.bin\n"
                          "The write is skipped when the region's MD5 already matches (\"flash_skipped\": true) unless "
                          "--force.\n"
                          "With --in, the record is read before FILE (so a pipe waits for nvs-build to finish); a\n"
                          "FILE whose MD5 or size differs from the record's nvs_md5/nvs_size is refused\n"
                          "(record_mismatch), and so is a board whose MAC differs from the record's mac (wrong_board).") +
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
    // The record first: reading it waits for the upstream step to finish (and so to finish writing FILE).
    auto record = espprov::read_input_record(options->device.in);
    auto image = std::make_shared<std::vector<std::uint8_t>>(provision::read_file_bytes(options->file));
    require_image_of_record(record, options->file, *image);
    provision::loader::WriteOptions write{!options->no_compress, !options->no_verify, options->force};
    espprov::run_loader_command(
        options->device, std::move(record),
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
