// espprov nvs-keygen: create an nvs_keys partition (random keys, or derived from an eFuse HMAC key).
#include "command.hpp"
#include "nvs_common.hpp"
#include "provision/files.hpp"

namespace {
namespace cmd_nvs_keygen {

struct NvsKeygenOptions {
  std::string out;
  std::string hmac_key;
};

void setup(CLI::App& app) {
  auto options = std::make_shared<NvsKeygenOptions>();
  auto* sub = app.add_subcommand("nvs-keygen", "Create an NVS encryption key partition (nvs_keys, 4096 bytes)");
  sub->footer(
      "Random keys from OpenSSL's CSPRNG (flash the file to the nvs_keys partition, encrypted by flash encryption):\n"
      "  espprov nvs-keygen --out nvs_keys.bin\n"
      "Keys derived from the 32-byte HMAC key burnt into eFuse (ESP-IDF's HMAC scheme; nothing to flash):\n"
      "  espprov nvs-keygen --hmac-key hmac_key.bin --out nvs_keys.bin\n"
      "The file is written 0600; the keys are never printed.");
  sub->add_option("--out", options->out, "Key partition file to write")->required();
  sub->add_option("--hmac-key", options->hmac_key, "Derive the keys from this 32-byte HMAC key file");
  espprov::add_output_options(*sub);
  sub->callback([options] {
    namespace nvs = provision::nvs;
    const auto keys = options->hmac_key.empty() ? nvs::generate_keys()
                                                : nvs::keys_from_hmac(provision::read_file_bytes(options->hmac_key));
    provision::write_file_atomic(options->out, nvs::key_partition_image(keys), provision::FileMode::secret);
    provision::Record record = provision::Record::object();
    record["nvs_keys_file"] = options->out;
    record["nvs_keys_scheme"] = options->hmac_key.empty() ? "random" : "hmac";
    espprov::emit(record);
  });
}

const espprov::CommandRegistrar registrar{52, setup};

}  // namespace cmd_nvs_keygen
}  // namespace
