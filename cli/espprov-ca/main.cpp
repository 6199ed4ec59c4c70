// espprov-ca: the reference Certificate Authority. init makes a CA folder, serve answers the register contract
// (docs/ca.md) over HTTPS, list and export show the registry. Errors: one line on stderr and the error's exit code.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli_docs.hpp"
#include "server/ca_server.hpp"
#include "service_docs.hpp"
#include "provision/record.hpp"
#include "provision/version.hpp"

namespace {

using provision::Record;

struct Options {
  std::string dir;
  std::string key_type = "ec";
  std::string host = "localhost";
  std::string listen = "127.0.0.1:8443";
  std::string format = "json";
  std::string db;  // --db: "" = registry.db in the CA folder
  int validity_days = 825;
  provision::ca::ServerOptions server;
};

void split_listen(const std::string& text, provision::ca::ServerOptions& server) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    throw provision::Error(provision::ErrorCode::usage,
                           fmt::format("--listen \"{}\": write HOST:PORT, e.g. 127.0.0.1:8443 or [::1]:8443 (port 0 = "
                                       "any free port)", text),
                           "listen");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  server.listen_host = host;
  server.listen_port = text.substr(colon + 1);
}

void print_registry(const std::vector<Record>& rows, const std::string& format) {
  if (format == "csv") {
    auto columns = provision::csv_columns(rows);
    std::cout << provision::csv_header(columns);
    for (const auto& row : rows) std::cout << provision::csv_row(row, columns);
  } else {
    for (const auto& row : rows) std::cout << row.dump() << '\n';
  }
}

void setup(CLI::App& app, Options& options) {
  auto* init = app.add_subcommand("init", "Create a CA folder: CA key and certificate, server certificate, registry");
  init->add_option("dir", options.dir, "Folder to create (secret files in it are 0600)")->required();
  init->add_option("--key-type", options.key_type, "CA key: ec (P-256) or rsa (2048)")
      ->check(CLI::IsMember({"ec", "rsa"}))->capture_default_str();
  init->add_option("--host", options.host, "Name or address clients use for the server (SAN; localhost, "
                   "127.0.0.1 and ::1 are always included)")->capture_default_str();
  const char* db_help = "Registry: postgresql://USER@HOST[:PORT]/DB (shared by several serve processes) or "
                        "sqlite:PATH (default: registry.db in the CA folder)";
  init->add_option("--db", options.db, db_help);
  init->callback([&] {
    auto type = options.key_type == "rsa" ? provision::ca::KeyType::rsa_2048 : provision::ca::KeyType::ec_p256;
    std::cout << provision::ca::init_ca_dir(options.dir, type, options.host, options.db).dump() << '\n';
  });

  auto* serve = app.add_subcommand("serve", "Serve the register contract (HTTPS unless --http)");
  serve->footer("Prints one JSON line when listening: {\"listening\":\"https://127.0.0.1:PORT\",\"ca_cert\":...}.\n"
                "  espprov-ca serve --dir ca --listen 127.0.0.1:8443 --token-file token");
  serve->add_option("--dir", options.server.dir, "CA folder made by init")->required();
  serve->add_option("--db", options.server.db, db_help);
  serve->add_option("--listen", options.listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->capture_default_str();
  serve->add_option("--token-file", options.server.token_file,
                    "Require \"Authorization: Bearer <first line of FILE>\" (required unless --no-auth)");
  serve->add_flag("--no-auth", options.server.no_auth, "Serve without a token: anyone reaching the port may register");
  serve->add_flag("--http", options.server.plain_http, "Plain HTTP (PSKs in clear text): loopback addresses only");
  serve->add_option("--validity-days", options.server.validity_days, "Device certificate validity")
      ->check(CLI::Range(1, 36500))->capture_default_str();
  serve->add_option("--max-connections", options.server.max_connections, "Concurrent connections")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  serve->add_option("--threads", options.server.threads, "Worker threads (0 = one per core)")->capture_default_str();
  serve->add_flag("--log-requests", options.server.log_requests, "One line per request on stderr (no secrets)");
  serve->callback([&] {
    split_listen(options.listen, options.server);
    if (options.server.no_auth && options.server.token_file.empty()) {
      std::cerr << "espprov-ca: warning: --no-auth: anyone who can reach " << options.listen
                << " may register devices and claim them; use --token-file FILE outside a closed lab\n";
    }
    provision::ca::serve(options.server, [](const Record& line) { std::cout << line.dump() << std::endl; });
  });

  auto* list = app.add_subcommand("list", "List registered devices (no secrets), one JSON object a line");
  list->add_option("--dir", options.dir, "CA folder (required unless --db)");
  list->add_option("--db", options.db, db_help);
  list->callback([&] { print_registry(provision::ca::list_registry(options.dir, options.db), "json"); });

  auto* exporter = app.add_subcommand("export", "Export the registry (no secrets) as CSV or JSON lines");
  exporter->add_option("--dir", options.dir, "CA folder (required unless --db)");
  exporter->add_option("--db", options.db, db_help);
  exporter->add_option("--format", options.format, "csv or json")->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  exporter->callback(
      [&] { print_registry(provision::ca::list_registry(options.dir, options.db), options.format); });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"espprov-ca: a reference Certificate Authority for espprov (contract: docs/ca.md).\n"
               "  espprov-ca init ca-dir && espprov-ca serve --dir ca-dir --listen 127.0.0.1:8443 --token-file token",
               "espprov-ca"};
  app.set_version_flag("--version", std::string(provision::kVersion));
  app.require_subcommand(1);
  Options options;
  setup(app, options);
  // Hidden: the man page and completion scripts, written from this very definition (cli/docs/).
  if (auto done = espprov::docs::generate_docs_if_asked(argc, argv, [&] {
        espprov::docs::ProgramDoc doc{"espprov-ca", 8, espprov::docs::summary_line(app.get_description(), "espprov-ca"),
                                      std::string(provision::kVersion), {"espprov(1)", "systemd.exec(5)"},
                                      espprov::docs::provision_exit_statuses(), espprov_ca::service_man_section(),
                                      espprov::docs::describe_app(app)};
        return doc;
      })) {
    return *done;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const provision::Error& e) {
    std::cerr << "espprov-ca: error: " << e.what() << '\n';
    return provision::exit_code_of(e.code());
  } catch (const std::exception& e) {
    std::cerr << "espprov-ca: internal error: " << e.what() << '\n';
    return provision::exit_code_of(provision::ErrorCode::internal);
  }
  return 0;
}
