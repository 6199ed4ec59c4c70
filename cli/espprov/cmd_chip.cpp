// espprov chip: which chip a board carries (chip, features, flash_size) plus its MAC, from the ROM loader.
#include "command.hpp"
#include "loader_common.hpp"

namespace {
namespace cmd_chip {

void setup(CLI::App& app) {
  auto flags = std::make_shared<espprov::LoaderFlags>();
  auto* sub = app.add_subcommand("chip", "Detect the chip on a board in download mode (chip, mac, features, flash)");
  sub->footer(std::string("Examples:\n"
                          "  espprov chip --port /dev/ttyUSB0\n"
                          "  espprov chip --port /dev/ttyACM0 --before usb-reset --format csv\n"
                          "  espprov chip --port socket://rig.local:4000 --before no-reset --trace") +
              espprov::kLoaderHelp);
  espprov::add_loader_flags(*sub, *flags);
  sub->callback([flags] {
    espprov::run_loader_command(*flags, [](provision::loader::Loader& loader,
                                           provision::Record&) -> boost::asio::awaitable<void> {
      co_await loader.attach_flash();  // reads the flash id: the record gets flash_size
    });
  });
}

const espprov::CommandRegistrar registrar{8, setup};

}  // namespace cmd_chip
}  // namespace
