// espprov ca-register: registers the record's device with the CA and adds certificate, ca_cert, device_key and
// expiry. The station makes the device key (EC P-256) and sends its CSR unless --key-source none; a key already
// in the record (a resumed run) is reused, never replaced.
#include <fmt/format.h>

#include "command.hpp"
#include "record_stream.hpp"
#include "provision/ca.hpp"
#include "provision/files.hpp"
#include "provision/identity.hpp"
#include "provision/ledger.hpp"

namespace {
namespace cmd_ca_register {

struct CaRegisterOptions {
  std::string in;
  std::string url;
  std::string token_file;
  std::string ca_bundle;
  std::string ca_cert;
  bool trust_ca_response = false;
  std::string key_source = "station";
  std::string chip;
  bool allow_insecure_http = false;
  int timeout_ms = 30000;
  int connect_timeout_ms = 5000;
  int retries = 3;
  std::string ledger;
  bool no_ledger = false;
  std::string save;
};

std::string record_text(const provision::Record& record, const char* name) {
  auto it = record.find(name);
  return it != record.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string required_text(const provision::Record& record, const char* name, const char* step) {
  std::string value = record_text(record, name);
  if (value.empty()) {
    throw provision::Error(provision::ErrorCode::bad_input,
                           fmt::format("the input record has no \"{}\"; run espprov {} first (or pass --in)", name, step),
                           name);
  }
  return value;
}

// For a 409: where this station kept the PSK it registered for the device before.
std::string where_the_psk_is(provision::Ledger* ledger, const std::string& mac, const std::string& save) {
  if (ledger) {
    auto entry = ledger->find(mac);
    if (entry && entry->record.contains("psk")) {
      return fmt::format("the PSK this station registered for {} is in the ledger {} (espprov ledger show {} "
                         "--ledger {} --show-secrets); use that record",
                         mac, ledger->path().string(), mac, ledger->path().string());
    }
    return fmt::format("the ledger {} has no PSK for {} (another station or ledger registered it){}", ledger->path().string(),
                       mac, save.empty() ? "" : "; see an earlier --save file");
  }
  return fmt::format("look for {} in the --save file of the run that registered it", mac);
}

provision::ca::ClientOptions client_options_of(const CaRegisterOptions& options) {
  provision::ca::ClientOptions client_options;
  client_options.url = options.url;
  if (!options.token_file.empty()) client_options.token = provision::ca::read_token_file(options.token_file);
  client_options.ca_bundle = options.ca_bundle;
  if (!options.ca_cert.empty()) client_options.trusted_ca_pem = provision::read_file_text(options.ca_cert);
  client_options.trust_ca_response = options.trust_ca_response;
  provision::ca::require_trust_choice(client_options);
  client_options.allow_insecure_http = options.allow_insecure_http;
  client_options.timeout = std::chrono::milliseconds(options.timeout_ms);
  client_options.connect_timeout = std::chrono::milliseconds(options.connect_timeout_ms);
  client_options.retries = options.retries;
  return client_options;
}

provision::ca::DeviceIdentity identity_of(const CaRegisterOptions& options, const provision::Record& record) {
  provision::ca::DeviceIdentity identity;
  identity.uuid = required_text(record, "uuid", "uuid");
  identity.psk = required_text(record, "psk", "psk");
  identity.mac = record_text(record, "mac_hex").empty() ? required_text(record, "mac", "mac")
                                                         : record_text(record, "mac_hex");
  identity.type = options.chip.empty() ? record_text(record, "chip") : options.chip;
  if (identity.type.empty()) {
    throw provision::Error(provision::ErrorCode::bad_input,
                           "the input record has no \"chip\"; pass --chip esp32s3 (or read it from the device)", "chip");
  }
  if (auto pop = record_text(record, "pop"); !pop.empty()) identity.pop = pop;
  identity.key_source = provision::ca::parse_key_source(options.key_source);
  if (auto key = record_text(record, "device_key"); !key.empty()) identity.device_key = key;
  return identity;
}

// One registration per record, the client and the ledger shared by all of them.
class Registrar {
 public:
  explicit Registrar(const CaRegisterOptions& options) : options_(options), client_(client_options_of(options)) {
    if (!options.no_ledger) {
      auto path = options.ledger.empty() ? provision::Ledger::default_path() : std::filesystem::path(options.ledger);
      ledger_ = std::make_unique<provision::Ledger>(path);
    }
  }

  provision::Record register_one(provision::Record record) {
    const auto identity = identity_of(options_, record);
    const std::string mac = provision::mac_colon(provision::parse_mac(identity.mac));
    auto progress = espprov::progress_sink();
    provision::report(progress, {"", "ca-register", provision::StepState::started, 0, client_.url().origin()});
    provision::ca::Registration registration;
    try {
      registration = provision::ca::run_register(client_, identity, progress);
    } catch (const provision::Error& e) {
      if (e.code() != provision::ErrorCode::ca_conflict) throw;
      throw provision::Error(e.code(),
                             std::string(e.what()) + "; " + where_the_psk_is(ledger_.get(), mac, options_.save),
                             e.field());
    }
    provision::report(progress, {"", "ca-register", provision::StepState::done, 1,
                                 fmt::format("serial {}, expires {}", registration.cert_serial, registration.expiry)});
    provision::merge_into(record, registration.fields());
    // Durable before printed: a reader that dies (a broken pipe) cannot take the registered PSK with it.
    if (ledger_) {
      ledger_->begin(mac, "");
      ledger_->complete_step(mac, "ca-register", record);
    }
    if (!options_.save.empty()) {
      // Every record registered in this run so far (NDJSON), replaced atomically after each.
      saved_ += provision::to_json_text(record) + "\n";
      provision::write_file_atomic(options_.save, saved_, provision::FileMode::secret);
    }
    return record;
  }

 private:
  const CaRegisterOptions& options_;
  provision::ca::Client client_;
  std::unique_ptr<provision::Ledger> ledger_;
  std::string saved_;
};

void run(const CaRegisterOptions& options) {
  const auto records = espprov::read_input_records(options.in);
  // Where the registered PSK will be kept is checked before the CA holds it: a registration whose PSK is then
  // lost makes every later attempt for this device a 409.
  if (options.no_ledger && options.save.empty()) {
    throw provision::Error(provision::ErrorCode::usage,
                           "--no-ledger needs --save FILE: the PSK the CA registers must be kept somewhere", "save");
  }
  if (!options.save.empty()) provision::require_writable_file_path(options.save, "save");
  Registrar registering(options);
  espprov::for_each_record(records,
                           [&](provision::Record record) { return registering.register_one(std::move(record)); });
}

void setup(CLI::App& app) {
  auto options = std::make_shared<CaRegisterOptions>();
  auto* sub = app.add_subcommand("ca-register", "Register the device with the CA and add its certificate");
  sub->footer(
      "Needs uuid, psk, mac and chip in the input record; adds certificate, ca_cert, device_key, expiry,\n"
      "cert_serial, cert_fingerprint. Retries connection errors, timeouts and 5xx (the CA's register is idempotent).\n"
      "  espprov mac --mac A0B1C2D3E4F5 | espprov uuid --in - | espprov psk --in - \\\n"
      "    | espprov ca-register --in - --chip esp32s3 --ca-url https://ca.example.com:8443 --token-file token \\\n"
      "      --ca-cert device-ca.pem\n"
      "The registered record (PSK and device key included) is kept in the ledger (--ledger, default\n"
      "$ESPPROV_LEDGER) and in --save FILE (0600) before it is printed, so a pipe that breaks later loses nothing:\n"
      "  espprov ledger show A0:B1:C2:D3:E4:F5 --show-secrets\n"
      "Many boards: one record per line on --in, one registration and one printed record each (--save keeps them\n"
      "all); exit 0 when all registered, 5 when some failed.");
  sub->add_option("--ca-url", options->url, "CA base URL: https://host[:port][/base]")->required();
  sub->add_option("--token-file", options->token_file, "File holding the CA's bearer token");
  sub->add_option("--ca-bundle", options->ca_bundle, "PEM roots for the CA's TLS certificate instead of the system store");
  sub->add_option("--ca-cert", options->ca_cert,
                  "PEM CA certificate(s) the device certificate must chain to (espprov-ca: its ca.pem)");
  sub->add_flag("--trust-ca-response", options->trust_ca_response,
                "Without --ca-cert: trust the CA certificate the CA sends (nothing pins it here)");
  sub->add_flag("--allow-insecure-http", options->allow_insecure_http,
                "Allow http:// (the PSK then crosses the network in clear text)");
  sub->add_option("--key-source", options->key_source,
                  "station: make an EC P-256 key and send its CSR; none: no CSR (seed-compatible CA)")
      ->check(CLI::IsMember({"station", "none"}))
      ->capture_default_str();
  sub->add_option("--chip", options->chip, "Chip type sent as \"type\" when the record has no chip");
  sub->add_option("--timeout-ms", options->timeout_ms, "Whole call, retries included")
      ->check(CLI::Range(1, 600000))->capture_default_str();
  sub->add_option("--connect-timeout-ms", options->connect_timeout_ms, "Each TCP connect")
      ->check(CLI::Range(1, 600000))->capture_default_str();
  sub->add_option("--retries", options->retries, "Attempts after the first")->check(CLI::Range(0, 20))
      ->capture_default_str();
  sub->add_option("--ledger", options->ledger,
                  "Ledger that keeps the registered record (default $ESPPROV_LEDGER or ~/.local/state/espprov/ledger.db)");
  sub->add_flag("--no-ledger", options->no_ledger, "Keep the registered record only in --save FILE");
  sub->add_option("--save", options->save, "Also write the registered record, secrets included, to FILE (0600)");
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub, true);
  sub->callback([options] { run(*options); });
}

const espprov::CommandRegistrar registrar{60, setup};

}  // namespace cmd_ca_register
}  // namespace
