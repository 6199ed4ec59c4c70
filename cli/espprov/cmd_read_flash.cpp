// espprov read-flash: copy a flash region of a board to a file (READ_FLASH_SLOW, 64 bytes a packet).
#include <fmt/format.h>

#include "command.hpp"
#include "loader_common.hpp"
#include "provision/files.hpp"

namespace {
namespace cmd_read_flash {

struct ReadOptions {
  espprov::LoaderFlags device;
  std::string offset;
  std::string size;
  std::string out;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<ReadOptions>();
  auto* sub = app.add_subcommand("read-flash", "Read --size bytes of flash at --offset into --out");
  sub->footer(std::string("Examples:\n"
                          "  espprov read-flash --port /dev/ttyUSB0 --offset 0x3F0000 --size 0x10000 --out prov.bin\n"
                          "  espprov read-flash --port /dev/ttyUSB0 --offset 0x8000 --size 0xC00 --out table.bin\n"
                          "The ROM reads 64 bytes per request: about 3 KiB/s at 115200 baud, so raise -b/--baud (-b 921600).") +
              espprov::kLoaderHelp);
  sub->add_option("--offset", options->offset, "Flash offset, hex or decimal")->required();
  sub->add_option("--size", options->size, "Bytes to read, hex or decimal")->required();
  sub->add_option("--out", options->out, "File to write (replaced atomically, mode 0600: flash may hold secrets)")->required();
  espprov::add_loader_flags(*sub, options->device);
  sub->callback([options] {
    auto offset = espprov::parse_u32(options->offset, "offset");
    auto size = espprov::parse_u32(options->size, "size");
    auto out = options->out;
    provision::require_writable_file_path(out, "out");  // before the board is touched
    espprov::run_loader_command(options->device,
                                [offset, size, out](provision::loader::Loader& loader,
                                                    provision::Record& record) -> boost::asio::awaitable<void> {
                                  auto data = co_await loader.read_flash(offset, size);
                                  // 0600: the region may be the credentials partition (PSK, device key).
                                  provision::write_file_atomic(out, data, provision::FileMode::secret);
                                  record["offset"] = fmt::format("0x{:X}", offset);
                                  record["size"] = fmt::format("0x{:X}", size);
                                  record["md5"] = provision::loader::md5_hex(data);
                                  record["file"] = out;
                                });
  });
}

const espprov::CommandRegistrar registrar{61, setup};

}  // namespace cmd_read_flash
}  // namespace
