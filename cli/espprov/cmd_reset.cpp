// espprov reset: connect to a board's ROM loader and leave it per --after (default: the application boots).
#include "command.hpp"
#include "loader_common.hpp"

namespace {
namespace cmd_reset {

void setup(CLI::App& app) {
  auto flags = std::make_shared<espprov::LoaderFlags>();
  auto* sub = app.add_subcommand("reset", "Reset a board so its application runs (record: chip, mac)");
  sub->footer(std::string("Examples:\n"
                          "  espprov reset --port /dev/ttyUSB0\n"
                          "  espprov reset --port /dev/ttyACM0 --before usb-reset --after run-app") +
              espprov::kLoaderHelp);
  espprov::add_loader_flags(*sub, *flags);
  sub->callback([flags] {
    auto after = flags->after;
    espprov::run_loader_command(*flags, [after](provision::loader::Loader&, provision::Record& record)
                                            -> boost::asio::awaitable<void> {
      record["after"] = after;
      co_return;
    });
  });
}

const espprov::CommandRegistrar registrar{63, setup};

}  // namespace cmd_reset
}  // namespace
