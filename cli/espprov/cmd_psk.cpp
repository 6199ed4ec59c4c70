// espprov psk: a fresh 32-byte pre-shared key (or a validated --psk) added to the record.
#include "command.hpp"
#include "record_stream.hpp"
#include "provision/identity.hpp"
#include "secret_options.hpp"

namespace {
namespace cmd_psk {

struct PskOptions {
  std::string in;
  std::string psk;
  std::string psk_file;
  bool keep = false;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<PskOptions>();
  auto* sub = app.add_subcommand("psk", "Generate the device's pre-shared key (64 hex) or validate a given one");
  sub->footer(
      "The PSK is a secret: it is printed only in the record (use --redact for spreadsheets).\n"
      "  espprov mac --mac A0B1C2D3E4F5 | espprov uuid --in - | espprov psk --in -\n"
      "  espprov psk --psk-file device.psk  (64 hex digits on the first line, for migrations; or $ESPPROV_PSK)");
  sub->add_option("--psk", options->psk,
                  "Use this PSK (exactly 64 hex digits) instead of generating one (visible in ps: prefer --psk-file)")
      ->configurable(false);  // never inline in a station file
  sub->add_option("--psk-file", options->psk_file, "Read the PSK to use from FILE (its first line)");
  sub->add_flag("--keep", options->keep, "Keep a psk already in the input record instead of replacing it");
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub);
  sub->callback([options] {
    const auto records = espprov::read_input_records(options->in);
    constexpr espprov::SecretSource kPsk{"--psk", "--psk-file", "ESPPROV_PSK", "psk"};
    const auto given = espprov::resolve_secret(kPsk, options->psk, options->psk_file);
    espprov::require_one_record_for(records, !given.empty(), "--psk");
    espprov::for_each_record(records, [&](provision::Record record) {
      provision::Record fields = provision::Record::object();
      if (!given.empty()) {
        fields["psk"] = provision::normalize_psk(given);
      } else if (options->keep && record.contains("psk") && record["psk"].is_string()) {
        fields["psk"] = provision::normalize_psk(record["psk"].get<std::string>());
      } else {
        fields["psk"] = provision::generate_psk();
      }
      provision::merge_into(record, fields);
      return record;
    });
  });
}

const espprov::CommandRegistrar registrar{30, setup};

}  // namespace cmd_psk
}  // namespace
