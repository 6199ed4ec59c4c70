// espprov help [exit-codes]: the usage, or the exit-code table (from the error table, so it cannot drift).

#include <iostream>

#include "command.hpp"
#include "provision/error.hpp"

namespace {
namespace cmd_help {

void print_exit_codes() {
  const bool text = espprov::output_options().format == "text";
  std::vector<provision::Record> rows;
  if (text) rows.push_back(provision::Record{{"exit", 0}, {"code", ""}, {"meaning", "success"}});
  for (auto* e = provision::error_table_begin(); e != provision::error_table_end(); ++e) {
    provision::Record row = provision::Record::object();
    row["exit"] = e->exit_code;
    row["code"] = std::string(e->name);
    row["meaning"] = std::string(e->summary);
    rows.push_back(std::move(row));
  }
  espprov::emit_many(rows);
  if (text) {
    std::cout << "A run over many boards or rows exits 0 when all succeeded, the error's code when all failed\n"
                 "alike, 5 (partial_failure) when some failed, and 61 (interrupted) only when a signal cut a\n"
                 "board off before it finished.\n";
  }
}

void setup(CLI::App& app) {
  auto topic = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("help", "The usage, or a topic: exit-codes");
  sub->footer("Examples:\n"
              "  espprov help exit-codes\n"
              "  espprov help exit-codes --format csv");
  sub->add_option("TOPIC", *topic, "exit-codes")->check(CLI::IsMember({"exit-codes"}));
  auto& options = espprov::output_options();
  sub->add_option("--format", options.format, "text (a table), json (one object per code), csv")
      ->check(CLI::IsMember({"json", "csv", "text"}));
  sub->callback([topic, &app] {
    if (topic->empty()) {
      std::cout << app.help();
      return;
    }
    print_exit_codes();
  });
  sub->preparse_callback([](std::size_t) { espprov::output_options().format = "text"; });
}

const espprov::CommandRegistrar registrar{1000, setup};

}  // namespace cmd_help
}  // namespace
