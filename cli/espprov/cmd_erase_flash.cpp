// espprov erase-flash: erase a board's whole flash chip to 0xFF (esptool erase_flash).
#include <fmt/format.h>

#include "command.hpp"
#include "loader_common.hpp"

namespace {
namespace cmd_erase_flash {

struct EraseFlashOptions {
  espprov::LoaderFlags device;
  bool force = false;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<EraseFlashOptions>();
  auto* sub = app.add_subcommand("erase-flash", "Erase the whole flash chip to 0xFF (record: size, erased)");
  sub->footer(std::string("Examples:\n"
                          "  espprov erase-flash -p /dev/ttyUSB0\n"
                          "  ESPPORT=/dev/ttyUSB0 espprov erase-flash --erase-timeout 300\n"
                          "The ROM has no chip-erase command (ERASE_FLASH is the flasher stub's), so the whole chip is\n"
                          "erased with FLASH_BEGIN over its detected size; that takes up to 30 s per MB (the erase\n"
                          "timeout; raise it with --erase-timeout for a slow flash). Every partition goes, the\n"
                          "bootloader and the credentials included. On a chip with flash encryption the firmware\n"
                          "needs re-flashing with esptool --encrypt afterwards: refused unless --force.") +
              espprov::kLoaderHelp);
  sub->add_flag("--force", options->force, "Erase even when flash encryption is enabled on the chip");
  espprov::add_loader_flags(*sub, options->device);
  sub->callback([options] {
    espprov::run_loader_command(
        options->device,
        [force = options->force](provision::loader::Loader& loader,
                                 provision::Record& record) -> boost::asio::awaitable<void> {
          if (loader.flash_encryption() && !force) {
            throw provision::Error(provision::ErrorCode::flash_encrypted,
                                   fmt::format("flash encryption is enabled on {}: after erasing, the firmware can "
                                               "only be written back encrypted (esptool --encrypt); nothing was "
                                               "erased. Pass --force to erase anyway",
                                               loader.link().name()),
                                   "force");
          }
          const auto size = co_await loader.erase_flash();
          record["offset"] = "0x0";
          record["size"] = fmt::format("0x{:X}", size);
          record["erased"] = true;
        });
  });
}

const espprov::CommandRegistrar registrar{63, setup};

}  // namespace cmd_erase_flash
}  // namespace
