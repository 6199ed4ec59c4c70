// espprov erase-region: erase whole 4 KiB sectors of a board's flash (to 0xFF).
#include <fmt/format.h>

#include "command.hpp"
#include "loader_common.hpp"

namespace {
namespace cmd_erase_region {

struct EraseOptions {
  espprov::LoaderFlags device;
  std::string offset;
  std::string size;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<EraseOptions>();
  auto* sub = app.add_subcommand("erase-region", "Erase --size bytes of flash at --offset (multiples of 0x1000)");
  sub->footer(std::string("Examples:\n"
                          "  espprov erase-region --port /dev/ttyUSB0 --offset 0x3F0000 --size 0x10000\n"
                          "  espprov erase-region --port /dev/ttyUSB0 --offset 0x9000 --size 0x6000 --after no-reset") +
              espprov::kLoaderHelp);
  sub->add_option("--offset", options->offset, "Flash offset, a multiple of 0x1000")->required();
  sub->add_option("--size", options->size, "Bytes to erase, a multiple of 0x1000")->required();
  espprov::add_loader_flags(*sub, options->device);
  sub->callback([options] {
    auto offset = espprov::parse_u32(options->offset, "offset");
    auto size = espprov::parse_u32(options->size, "size");
    espprov::run_loader_command(options->device,
                                [offset, size](provision::loader::Loader& loader,
                                               provision::Record& record) -> boost::asio::awaitable<void> {
                                  co_await loader.erase_region(offset, size);
                                  record["offset"] = fmt::format("0x{:X}", offset);
                                  record["size"] = fmt::format("0x{:X}", size);
                                  record["erased"] = true;
                                });
  });
}

const espprov::CommandRegistrar registrar{62, setup};

}  // namespace cmd_erase_region
}  // namespace
