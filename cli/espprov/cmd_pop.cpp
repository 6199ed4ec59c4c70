// espprov pop: the device's proof of possession (AT+POP?), a secret field of the record.
#include "cmd_wifi_common.hpp"

namespace {
namespace cmd_pop {

namespace wifi = provision::wifi;
using namespace espprov::wifi_cli;
using provision::Record;

struct PopOptions {
  PortOptions port;
  std::string in;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<PopOptions>();
  auto* sub = app.add_subcommand("pop", "Read the device's proof of possession (64 hex, a secret)");
  sub->footer(
      "The PoP is what the backend records for claiming the device; it survives a factory reset. It is a\n"
      "secret: --redact prints \"***\", and there is no --trace here (the answer itself is the secret).\n"
      "Examples:\n"
      "  espprov pop --port /dev/ttyUSB0\n"
      "  espprov info --port /dev/ttyUSB0 | espprov pop --in - --format csv > claim.csv");
  // No --trace: the link trace shows received bytes as they are, and here they are the secret.
  add_port_options(*sub, options->port, false);
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub, true);
  sub->callback([options] {
    auto record = espprov::read_input_record(options->in);
    const std::string port = port_of(options->port, record);
    auto pop = run_on_port<std::string>(options->port, port, [&](provision::serial::Link& link) -> asio::awaitable<std::string> {
      co_await wifi::wait_ready(link, seconds(options->port.ready_timeout_s));
      co_return co_await wifi::read_pop(link);
    });
    Record added = Record::object();
    added["port"] = port;
    added["pop"] = pop;
    provision::merge_into(record, added);
    espprov::emit(record);
  });
}

const espprov::CommandRegistrar registrar{73, setup};

}  // namespace cmd_pop
}  // namespace
