// espprov uuid: derive the device UUID from the MAC (or take --uuid) and add it to the record.
#include <fmt/format.h>

#include "command.hpp"
#include "record_stream.hpp"
#include "provision/identity.hpp"

namespace {
namespace cmd_uuid {

struct UuidOptions {
  std::string in;
  std::string mac;
  std::string uuid;
  std::string scheme = "seed";
};

void setup(CLI::App& app) {
  auto options = std::make_shared<UuidOptions>();
  auto* sub = app.add_subcommand("uuid", "Derive the device UUID from its MAC (or validate a given one)");
  sub->footer(
      "The default scheme 'seed' reproduces the legacy provisioning tool's ids exactly:\n"
      "  espprov mac --mac A0B1C2D3E4F5 | espprov uuid --in -   ->  04e4822c-719e-45b0-b360-7e2819faca53\n"
      "'rfc9562' gives a standards-conformant version-5 UUID (see README).\n"
      "  espprov uuid --mac A0B1C2D3E4F5 --scheme rfc9562\n"
      "  espprov uuid --uuid 12345678-1234-1234-1234-123456789012   (pre-assigned id, normalised)");
  sub->add_option("--mac", options->mac, "MAC to derive from (else the record's mac)");
  sub->add_option("--uuid", options->uuid, "Use this UUID (8-4-4-4-12 hex) instead of deriving one");
  sub->add_option("--scheme", options->scheme, "Derivation: seed (legacy tool, default) or rfc9562")
      ->capture_default_str();
  espprov::add_input_option(*sub, options->in);
  espprov::add_output_options(*sub);
  sub->callback([options] {
    const auto records = espprov::read_input_records(options->in);
    espprov::require_one_record_for(records, !options->uuid.empty(), "--uuid");
    espprov::require_one_record_for(records, !options->mac.empty(), "--mac");
    espprov::for_each_record(records, [&](provision::Record record) {
      provision::Record fields = provision::Record::object();
      if (!options->uuid.empty()) {
        fields["uuid"] = provision::normalize_uuid(options->uuid);
        fields["uuid_scheme"] = "given";
      } else {
        auto scheme = provision::parse_uuid_scheme(options->scheme);
        std::string mac_text = options->mac;
        if (mac_text.empty() && record.contains("mac") && record["mac"].is_string()) mac_text = record["mac"];
        if (mac_text.empty()) {
          throw provision::Error(provision::ErrorCode::bad_input,
                                 "mac: no MAC to derive the UUID from; pass --mac or --in a record that has one "
                                 "(espprov mac --mac ... | espprov uuid --in -), or give --uuid",
                                 "mac");
        }
        auto mac = provision::parse_mac(mac_text);
        if (!record.contains("mac")) provision::merge_into(record, provision::mac_fields(mac));
        fields["uuid"] = provision::derive_uuid(mac, scheme);
        fields["uuid_scheme"] = std::string(provision::to_string(scheme));
      }
      provision::merge_into(record, fields);
      return record;
    });
  });
}

const espprov::CommandRegistrar registrar{20, setup};

}  // namespace cmd_uuid
}  // namespace
