// espprov flash: write images (OFFSET FILE pairs, as esptool write_flash) to a board's flash over the ROM loader,
// each verified by MD5 (skipped when the region already holds it).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "command.hpp"
#include "loader_common.hpp"
#include "nvs_common.hpp"
#include "provision/files.hpp"
#include "provision/loader/regions.hpp"

namespace {
namespace cmd_flash {

struct FlashOptions {
  espprov::LoaderFlags device;
  std::string offset;               // the old form: --offset X FILE
  std::vector<std::string> images;  // OFFSET FILE pairs (esptool write_flash), or FILE with --offset
  bool no_verify = false;
  bool no_compress = false;
  bool force = false;
  bool plaintext = false;
  bool dry_run = false;
};

bool same_md5(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_image_of(const provision::loader::FlashRegion& region, const std::string& md5, const std::string& size) {
  return same_md5(md5, espprov::md5_hex(*region.data)) &&
         (size.empty() || espprov::parse_u32(size, "nvs_size") == region.size());
}

// A record that describes an image (nvs-build's nvs_md5, nvs_size) is the image's receipt: one of the files must be
// that image, byte for byte, or it may be another board's file left from an earlier run.
void require_image_of_record(const provision::Record& record,
                             const std::vector<provision::loader::FlashRegion>& regions) {
  auto md5 = record.find("nvs_md5");
  if (md5 == record.end() || !md5->is_string()) return;
  const std::string expected_md5 = md5->get<std::string>();
  const std::string expected_size = record.value("nvs_size", std::string());
  for (const auto& region : regions) {
    if (is_image_of(region, expected_md5, expected_size)) return;
  }
  std::string found;
  for (const auto& region : regions) {
    found += fmt::format("{}{} (md5 {}, size {})", found.empty() ? "" : ", ", region.name,
                         espprov::md5_hex(*region.data), espprov::size_hex(region.size()));
  }
  throw provision::Error(
      provision::ErrorCode::record_mismatch,
      fmt::format("{} {} not the image the input record describes (nvs_md5 {}, nvs_size {}{}); it may be another "
                  "board's file: nothing was written. Flash the file the record's step wrote, or run that step again",
                  found, regions.size() == 1 ? "is" : "are", expected_md5, expected_size.empty() ? "?" : expected_size,
                  record.contains("nvs_file") ? ", nvs_file " + record.value("nvs_file", std::string()) : ""),
      "nvs_md5");
}

// OFFSET FILE pairs, or FILE with --offset (the form before pairs). Files are read here, before the board is
// touched; so are the overlap checks.
std::vector<provision::loader::FlashRegion> regions_of(const FlashOptions& options) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!options.offset.empty()) {
    if (options.images.size() != 1) {
      throw provision::Error(provision::ErrorCode::usage,
                             fmt::format("offset: --offset takes one FILE ({} given); for several images give "
                                         "OFFSET FILE pairs without --offset",
                                         options.images.size()),
                             "offset");
    }
    pairs.emplace_back(options.offset, options.images[0]);
  } else {
    if (options.images.size() % 2 != 0) {
      throw provision::Error(provision::ErrorCode::usage,
                             fmt::format("images: give OFFSET FILE pairs (0x10000 app.bin ...), or --offset X FILE; "
                                         "'{}' has no partner",
                                         options.images.back()),
                             "images");
    }
    for (std::size_t i = 0; i < options.images.size(); i += 2) pairs.emplace_back(options.images[i], options.images[i + 1]);
  }
  std::vector<provision::loader::FlashRegion> regions;
  for (const auto& [offset, file] : pairs) {
    auto data = std::make_shared<const std::vector<std::uint8_t>>(provision::read_file_bytes(file));
    regions.push_back({espprov::parse_u32(offset, "offset"), std::move(data), file});
  }
  provision::loader::require_disjoint_regions(provision::loader::extents_of(regions), "offset");
  return regions;
}

void refuse_encrypted_flash(provision::loader::Loader& loader, std::uint32_t offset) {
  // The ROM writes what it gets; an encrypted region (app, bootloader, partition table, nvs_keys) would then hold
  // plaintext the chip decrypts into garbage.
  throw provision::Error(provision::ErrorCode::flash_encrypted,
                         fmt::format("flash encryption is enabled on {}: espprov writes plaintext only, which an "
                                     "encrypted partition cannot read; nothing was written. Pass --plaintext if "
                                     "0x{:X} is a partition the chip does not encrypt (an NVS partition), else write "
                                     "it with esptool --encrypt",
                                     loader.link().name(), offset),
                         "offset");
}

// The record: one entry per region in "regions"; with one region its fields are also at the top (the form before
// pairs printed them there).
provision::Record region_fields(const provision::loader::WriteResult& result, const std::string& file) {
  auto fields = provision::loader::write_fields(result);
  fields["file"] = file;
  return fields;
}

void setup(CLI::App& app) {
  auto options = std::make_shared<FlashOptions>();
  auto* sub = app.add_subcommand(
      "flash", "Write images (OFFSET FILE pairs, as esptool write_flash) to flash, each verified by MD5");
  sub->footer(std::string("Examples:\n"
                          "  espprov flash -p /dev/ttyUSB0 0x3F0000 prov.bin\n"
                          "  espprov flash -p /dev/ttyUSB0 -b 921600 0x0 bootloader.bin 0x8000 partitions.bin "
                          "0x10000 app.bin\n"
                          "  espprov flash --port /dev/ttyUSB0 --offset 0x3F0000 prov.bin\n"
                          "  espprov mac --port /dev/ttyUSB0 --after no-reset | espprov uuid --in - \\\n"
                          "    | espprov psk --in - | espprov nvs-build --in - --out nvs.bin \\\n"
                          "    | espprov flash --in - --port /dev/ttyUSB0 --offset 0x3F0000 nvs.bin\n"
                          "Each region is written and verified in turn; the record lists them in \"regions\" (offset,\n"
                          "size, md5, sectors_written, file). Regions that share a 4 KiB sector are refused before the\n"
                          "board is touched (bad_input). A region whose MD5 already matches is skipped (\"flash_skipped\":\n"
                          "true) unless --force.\n"
                          "With --in, the record is read before the files (so a pipe waits for nvs-build to finish); when\n"
                          "no file has the record's nvs_md5/nvs_size it is refused (record_mismatch), and so is a board\n"
                          "whose MAC differs from the record's mac (wrong_board).\n"
                          "--dry-run makes every check that needs no board (the record, the files, overlaps, the port\n"
                          "opens) and prints the regions it would write; nothing is sent, the board is not reset:\n"
                          "  espprov flash -p /dev/ttyUSB0 --dry-run 0x0 bootloader.bin 0x8000 partitions.bin 0x10000 "
                          "app.bin") +
              espprov::kLoaderHelp);
  sub->add_option("--offset", options->offset, "Flash offset of the one FILE, hex (0x3F0000) or decimal (the form "
                                               "before OFFSET FILE pairs)");
  sub->add_option("images", options->images, "OFFSET FILE pairs, or FILE with --offset ('-' = stdin)")->required();
  sub->add_flag("--no-verify", options->no_verify, "Do not compare the flash MD5 after writing");
  sub->add_flag("--no-compress", options->no_compress, "Plain FLASH_DATA packets instead of zlib (FLASH_DEFL_*)");
  sub->add_flag("--force", options->force, "Write every sector, even when the flash holds the data");
  sub->add_flag("--plaintext", options->plaintext,
                "On a chip with flash encryption: the region is not flash-encrypted (an NVS partition), write it");
  sub->add_flag("--dry-run", options->dry_run,
                "Check the record, files, overlaps and that the port opens; write nothing, reset nothing");
  espprov::add_loader_flags(*sub, options->device);
  sub->callback([options] {
    // The record first: reading it waits for the upstream step to finish (and so to finish writing the file).
    auto record = espprov::read_input_record(options->device.in);
    auto regions = regions_of(*options);
    require_image_of_record(record, regions);
    if (options->dry_run) {
      provision::Record planned = provision::Record::array();
      for (const auto& region : regions) {
        planned.push_back(provision::Record{{"offset", fmt::format("0x{:X}", region.offset)},
                                            {"size", fmt::format("0x{:X}", region.size())},
                                            {"md5", espprov::md5_hex(*region.data)},
                                            {"file", region.name}});
      }
      record["regions"] = planned;
      std::vector<std::string> checks{"options", "files", "regions_disjoint"};
      if (record.contains("nvs_md5")) checks.push_back("record_image");
      espprov::run_loader_dry_run(options->device, std::move(record), std::move(checks));
      return;
    }
    provision::loader::WriteOptions write{!options->no_compress, !options->no_verify, options->force};
    espprov::run_loader_command(
        options->device, std::move(record),
        [regions, write, plaintext = options->plaintext](
            provision::loader::Loader& loader, provision::Record& record) -> boost::asio::awaitable<void> {
          if (loader.flash_encryption() && !plaintext) refuse_encrypted_flash(loader, regions.front().offset);
          provision::Record written = provision::Record::array();
          for (const auto& region : regions) {
            auto result = co_await loader.write_flash(region.offset, *region.data, write);
            written.push_back(region_fields(result, region.name));
          }
          if (regions.size() == 1) provision::merge_into(record, written[0]);
          record["regions"] = written;
        });
  });
}

const espprov::CommandRegistrar registrar{60, setup};

}  // namespace cmd_flash
}  // namespace
