// espprov psk: a fresh 32-byte pre-shared key (or a validated --psk) added to the record.
#include "command.hpp"
#include "provision/identity.hpp"

namespace {

struct PskOptions {
  std::string in;
  std::string psk;
  bool keep = false;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<PskOptions>();
  auto* sub = app.add_subcommand("psk", "Generate the device's pre-shared key (64 hex) or validate a given one");
  sub->footer(
      "The PSK is a secret: it is printed only in the record (use --redact for spreadsheets).\n"
      "  espprov mac --mac A0B1C2D3E4F5 | espprov uuid --in - | espprov psk --in -\n"
      "  espprov psk --psk 00112233...  (64 hex digits, for migrations)");
  sub->add_option("--psk", options->psk, "Use this PSK (exactly 64 hex digits) instead of generating one");
  sub->add_flag("--keep", options->keep, "Keep a psk already in the input record instead of replacing it");
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub);
  sub->callback([options] {
    auto record = espprov::read_input_record(options->in);
    provision::Record fields = provision::Record::object();
    if (!options->psk.empty()) {
      fields["psk"] = provision::normalize_psk(options->psk);
    } else if (options->keep && record.contains("psk") && record["psk"].is_string()) {
      fields["psk"] = provision::normalize_psk(record["psk"].get<std::string>());
    } else {
      fields["psk"] = provision::generate_psk();
    }
    provision::merge_into(record, fields);
    espprov::emit(record);
  });
}

const espprov::CommandRegistrar registrar{30, setup};

}  // namespace
