// espprov: provision ESP32-family devices. Parses flags, runs one step of libprovision, prints records.
#include <fmt/format.h>

#include <iostream>

#include "cli_docs.hpp"
#include "command.hpp"
#include "provision/error.hpp"
#include "provision/text.hpp"
#include "provision/version.hpp"

namespace {

int fail(const provision::Record& record, provision::ErrorCode code, const std::string& message) {
  auto& options = espprov::output_options();
  std::cerr << "espprov: error: " << provision::escape_invalid_utf8(message) << '\n';
  if (options.format == "json") {
    std::cout << provision::to_json_text(options.redact ? provision::redact(record) : record) << '\n';
  } else if (options.format == "csv") {
    auto columns = provision::csv_columns({record});
    std::cout << provision::csv_header(columns) << provision::csv_row(record, columns);
  }
  return provision::exit_code_of(code);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "espprov: turn a blank ESP32-family board into a known, trusted, connected device.\n"
      "Each subcommand is one step and prints a JSON device record on stdout; chain steps with --in -:\n"
      "  espprov mac --mac A0B1C2D3E4F5 | espprov uuid --in - | espprov psk --in -\n"
      "Progress goes to stderr. Exit codes are listed in README.md (0 = ok).",
      "espprov"};
  app.set_version_flag("--version", std::string(provision::kVersion));
  app.require_subcommand(1);
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
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
