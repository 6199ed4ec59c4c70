// espprov ca-test: is the CA reachable, does TLS verify, does /api/health answer, and how fast.
#include "command.hpp"
#include "provision/ca.hpp"

namespace {
namespace cmd_ca_test {

struct CaTestOptions {
  std::string url;
  std::string token_file;
  std::string ca_bundle;
  bool allow_insecure_http = false;
  int timeout_ms = 10000;
  int retries = 0;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<CaTestOptions>();
  auto* sub = app.add_subcommand("ca-test", "Check that the CA answers: connection, TLS, health, round trip");
  sub->footer("  espprov ca-test --ca-url https://ca.example.com:8443 --ca-bundle ca.pem\n"
              "Prints {\"ca_url\",\"tls\",\"tls_version\",\"status\",\"health\",\"connect_ms\",\"round_trip_ms\"}.");
  sub->add_option("--ca-url", options->url, "CA base URL: https://host[:port][/base]")->required();
  sub->add_option("--token-file", options->token_file, "File holding the CA's bearer token");
  sub->add_option("--ca-bundle", options->ca_bundle, "PEM file of roots to trust instead of the system store");
  sub->add_flag("--allow-insecure-http", options->allow_insecure_http, "Allow http://");
  sub->add_option("--timeout-ms", options->timeout_ms, "Whole check")->check(CLI::Range(1, 600000))
      ->capture_default_str();
  sub->add_option("--retries", options->retries, "Attempts after the first")->check(CLI::Range(0, 20))
      ->capture_default_str();
  espprov::add_output_options(*sub);
  sub->callback([options] {
    provision::ca::ClientOptions client_options;
    client_options.url = options->url;
    if (!options->token_file.empty()) client_options.token = provision::ca::read_token_file(options->token_file);
    client_options.ca_bundle = options->ca_bundle;
    client_options.allow_insecure_http = options->allow_insecure_http;
    client_options.timeout = std::chrono::milliseconds(options->timeout_ms);
    client_options.connect_timeout = client_options.timeout;
    client_options.retries = options->retries;
    provision::ca::Client client(client_options);
    espprov::emit(provision::ca::run_health(client).fields());
  });
}

const espprov::CommandRegistrar registrar{59, setup};

}  // namespace cmd_ca_test
}  // namespace
