// espprov: provision ESP32-family devices. Parses flags, runs one step of libprovision, prints records.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "cli_docs.hpp"
#include "command.hpp"
#include "station_config.hpp"
#include "provision/error.hpp"
#include "provision/text.hpp"
#include "provision/version.hpp"

namespace {
namespace espprov_main {

int fail(const provision::Record& record, provision::ErrorCode code, const std::string& message) {
  espprov::emit_error(record, code, message);
  return provision::exit_code_of(code);
}

// The subcommand closest to `typed` (edit distance at most 2, or a prefix), "" when none is close.
std::string nearest_subcommand(const CLI::App& app, const std::string& typed) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string& name = sub->get_name();
    if (name.rfind(typed, 0) == 0) return name;
    std::vector<std::size_t> row(name.size() + 1);
    for (std::size_t j = 0; j <= name.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= typed.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= name.size(); ++j) {
        std::size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (typed[i - 1] == name[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    if (row[name.size()] < best_distance) {
      best_distance = row[name.size()];
      best = name;
    }
  }
  return best;
}

}  // namespace espprov_main
using namespace espprov_main;
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "espprov: turn a blank ESP32-family board into a known, trusted, connected device.\n"
      "Each subcommand is one step and prints a JSON device record on stdout; chain steps with --in -:\n"
      "  espprov mac --mac A0B1C2D3E4F5 | espprov uuid --in - | espprov psk --in -\n"
      "Progress goes to stderr. Exit codes: espprov help exit-codes (0 = ok).",
      "espprov"};
  app.set_version_flag("--version", std::string(provision::kVersion));
  app.require_subcommand(1);
  espprov::add_station_config(app);  // before the subcommands: they inherit its fallthrough
  espprov::setup_all_commands(app);
  // Hidden: the man page and completion scripts, written from this very definition (cli/docs/).
  if (auto done = espprov::docs::generate_docs_if_asked(argc, argv, [&] {
        espprov::docs::ProgramDoc doc{"espprov", 1, espprov::docs::summary_line(app.get_description(), "espprov"),
                                      std::string(provision::kVersion), {"espprov-ca(8)", "espprov-sim(1)"},
                                      espprov::docs::provision_exit_statuses(), {}, espprov::docs::describe_app(app)};
        return doc;
      })) {
    return *done;
  }
  if (argc < 2) {  // no arguments: the usage, not an error record
    std::cerr << app.help();
    return provision::exit_code_of(provision::ErrorCode::usage);
  }
  const bool known = !app.get_subcommands([&](const CLI::App* sub) { return sub->check_name(argv[1]); }).empty();
  if (argv[1][0] != '-' && !known) {
    const std::string typed = argv[1];
    const std::string near = nearest_subcommand(app, typed);
    provision::Error error(provision::ErrorCode::usage,
                           fmt::format("'{}' is not an espprov subcommand{}", typed,
                                       near.empty() ? "; see espprov --help" : "; did you mean '" + near + "'?"));
    return fail(provision::error_record(error), error.code(), error.what());
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (auto station_file = espprov::station_config_error(e, app)) {
      return fail(provision::error_record(*station_file), station_file->code(), station_file->what());
    }
    provision::Error error(provision::ErrorCode::usage, e.what());
    return fail(provision::error_record(error), error.code(),
                std::string(e.what()) + " (see espprov --help, or espprov SUBCOMMAND --help)");
  } catch (const espprov::ExitWith& done) {
    return done.code;
  } catch (const espprov::UpstreamFailure& upstream) {
    return fail(upstream.record, upstream.code, "an earlier step failed: " + upstream.message);
  } catch (const provision::Error& e) {
    return fail(provision::error_record(e), e.code(), e.what());
  } catch (const std::exception& e) {
    provision::Error error(provision::ErrorCode::internal, e.what());
    return fail(provision::error_record(error), error.code(), std::string("internal error: ") + e.what());
  }
  return 0;
}
