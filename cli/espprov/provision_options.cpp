#include "provision_options.hpp"

#include <fmt/format.h>

#include "loader_common.hpp"
#include "nvs_common.hpp"
#include "secret_options.hpp"
#include "provision/files.hpp"

namespace espprov {
namespace {
namespace provision_options {

using provision::Error;
using provision::ErrorCode;

constexpr SecretSource kWifiPassword{"--password", "--password-file", "ESPPROV_WIFI_PASSWORD", "password"};
constexpr SecretSource kPsk{"--psk", "--psk-file", "ESPPROV_PSK", "psk"};
constexpr SecretSource kCaToken{"--token", "--token-file", "ESPPROV_CA_TOKEN", "token_file"};

std::chrono::milliseconds seconds(double s, const char* field) {
  if (!(s > 0) || s > 3600) {
    throw Error(ErrorCode::bad_input, fmt::format("{}: {} s is outside 0..3600 s", field, s), field);
  }
  return std::chrono::milliseconds(static_cast<long long>(s * 1000));
}

// --flash OFFSET FILE pairs, read now; none may share a sector with another or with the credentials partition.
std::vector<provision::loader::FlashRegion> firmware_regions(
    const std::vector<std::pair<std::string, std::string>>& pairs, std::uint32_t nvs_offset, std::size_t nvs_size) {
  std::vector<provision::loader::FlashRegion> regions;
  for (const auto& [offset, file] : pairs) {
    auto data = std::make_shared<const std::vector<std::uint8_t>>(provision::read_file_bytes(file));
    regions.push_back({parse_u32(offset, "flash"), std::move(data), file});
  }
  if (regions.empty()) return regions;
  auto extents = provision::loader::extents_of(regions);
  extents.push_back({nvs_offset, nvs_size, fmt::format("the credentials partition (--nvs-offset)")});
  provision::loader::require_disjoint_regions(extents, "flash");
  return regions;
}

}  // namespace provision_options
using namespace provision_options;
}  // namespace

void add_provision_options(CLI::App& sub, ProvisionCliOptions& o) {
  sub.footer(
      "One device (reset into the loader, chip, MAC, uuid, psk, CA certificate, NVS image, flash + verify, boot,\n"
      "WiFi, confirm the device reports the flashed uuid):\n"
      "  espprov provision --port /dev/ttyUSB0 --ssid Factory --password-file wifi.txt --ca-url https://ca:8443 \\\n"
      "    --ca-cert device-ca.pem\n"
      "Many at once, one NDJSON line per device as it finishes, summary on stderr:\n"
      "  espprov provision --ports '/dev/ttyUSB*' --jobs 8 --ssid Factory --password-file wifi.txt \\\n"
      "    --ca-url https://ca:8443 --ca-cert device-ca.pem\n"
      "Station mode (swap boards; Ctrl-C stops after the current step):\n"
      "  espprov provision --port /dev/ttyUSB0 --loop --ssid Factory --password-file wifi.txt \\\n"
      "    --ca-url https://ca:8443 --ca-cert device-ca.pem --format csv >> devices.csv\n"
      "Change only WiFi on a provisioned device (keeps its credentials):\n"
      "  espprov provision --port /dev/ttyUSB0 --wifi-only --ssid NewNet --password-file new.txt\n"
      "Legacy layout (the old tool's partition): --nvs-offset 0xA20000 --nvs-size 0x10000\n"
      "Firmware in the same run (each verified; skipped when it is already there):\n"
      "  espprov provision -p /dev/ttyUSB0 --no-wifi --no-ca --flash 0x0 bootloader.bin --flash 0x10000 app.bin\n"
      "Every step is recorded in the ledger (default $ESPPROV_LEDGER or ~/.local/state/espprov/ledger.db, 0600);\n"
      "re-running on a device that stopped half-way resumes with the same uuid, psk, key and certificate.\n"
      "The WiFi password may come from --password-file or $ESPPROV_WIFI_PASSWORD instead of the command line;\n"
      "the CA token from --token-file or $ESPPROV_CA_TOKEN; a PSK from --psk-file or $ESPPROV_PSK. Secret files:\n"
      "the first line, without its line end, is the secret. Exit codes: espprov help exit-codes.\n"
      "Printed records leave secrets out (psk, device_key, password as \"***\") unless --show-secrets; the ledger\n"
      "and --save FILE keep them. Without a CA, say so: --no-ca.\n"
      "Before any board is touched: the flags, the WiFi password's form, the CA (reachable, its certificate\n"
      "pinned by --ca-cert or the ledger), duplicated ports, and the --save and --ledger folders are checked.\n"
      "--dry-run stops there (after opening the ledger if it exists, and each port: nothing is written) and prints\n"
      "{\"dry_run\":true,...} with the steps each board would go through; exit 0, or the failing check's code.\n"
      "A station file holds the flags a station repeats ([provision] section; flags given here override it):\n"
      "  espprov provision --config station.toml --port /dev/ttyUSB0 --dry-run\n" +
      std::string(kPortBaudHelp));
  sub.add_option("-p,--port", o.ports, "Serial port (repeatable): /dev/ttyUSB0, socket://host:port, rfc2217://host:port "
                                      "(default: $ESPPORT, when no --ports)");
  sub.add_option("--ports", o.port_globs,
                 "Glob of ports, e.g. '/dev/ttyUSB*' (quote it), or auto: every ESP-looking USB serial port "
                 "(espprov ports --esp-only; with --loop, boards plugged in later too)");
  sub.add_option("--jobs", o.jobs, "At most N devices at once (default: all)");
  sub.add_flag("--loop", o.loop, "Station mode: after each board, wait for the next one on the same port");
  sub.add_option("--ledger", o.ledger, "Ledger file (SQLite), or postgresql://USER@HOST/DB shared by stations");
  sub.add_option("--station", o.station, "Station name recorded with every step (default $ESPPROV_STATION or the "
                 "host name)");
  sub.add_option("--save", o.save, "Also write every record, secrets included, to FILE (NDJSON, mode 0600)");
  sub.add_flag("--dry-run", o.dry_run,
               "Check the flags, files, CA, ledger and ports, print the steps each board would go through, and "
               "touch no board");
  sub.add_flag("--trace", o.trace, "Byte-level serial trace on stderr (secrets masked: credentials data, WiFi password, PoP)");

  sub.add_option("-b,--baud", o.baud, "Baud rate for flashing: the loader connects at --initial-baud, then switches "
                                     "(default: $ESPBAUD, else 921600)");
  sub.add_option("--initial-baud", o.initial_baud, "Baud rate of the ROM loader after reset (default: 115200)");
  sub.add_option("--flash-baud", o.flash_baud, "Deprecated: use -b/--baud");
  sub.add_option("-c,--chip", o.chip, "The chip every board must carry: auto, esp32, esp32s2, esp32s3, esp32c2, "
                                      "esp32c3, esp32c6, esp32h2")
      ->capture_default_str();
  sub.add_option("--flash", o.flash,
                 "OFFSET FILE (repeatable): also write this image (application, bootloader, partition table) in "
                 "the flash step, before the credentials; it may not overlap them or another --flash");
  sub.add_option("--before", o.before, "Reset into the loader: default-reset, usb-reset, no-reset")
      ->check(CLI::IsMember({"default-reset", "usb-reset", "no-reset"}))->capture_default_str();
  sub.add_option("--after", o.after, "After flashing: hard-reset, run-app, no-reset")
      ->check(CLI::IsMember({"hard-reset", "run-app", "no-reset"}))->capture_default_str();
  sub.add_flag("--no-compress", o.no_compress, "Write flash uncompressed");
  sub.add_option("--ready-timeout", o.ready_timeout_s, "Seconds to wait for the firmware after boot")
      ->capture_default_str();

  sub.add_option("--uuid", o.uuid, "Pre-assigned UUID instead of deriving it from the MAC");
  sub.add_option("--psk", o.psk, "Pre-assigned PSK (64 hex) instead of a random one (visible in ps: prefer --psk-file)")
      ->configurable(false);  // never inline in a station file: psk-file
  sub.add_option("--psk-file", o.psk_file, "File holding the pre-assigned PSK (first line), or $ESPPROV_PSK");
  sub.add_option("--scheme", o.scheme, "UUID derivation: seed (legacy tool) or rfc9562")
      ->check(CLI::IsMember({"seed", "rfc9562"}))->capture_default_str();

  sub.add_option("--ca-url", o.ca_url, "Certificate Authority, e.g. https://ca.example:8443 (required, or --no-ca)");
  sub.add_flag("--no-ca", o.no_ca, "Provision without a CA: no certificate (the board then has only its PSK)");
  sub.add_option("--token-file", o.token_file, "File holding the CA's bearer token");
  sub.add_option("--ca-bundle", o.ca_bundle, "PEM roots to verify the CA's TLS certificate (default: system store)");
  sub.add_option("--ca-cert", o.ca_cert, "PEM CA certificate(s) device certificates must chain to (espprov-ca: ca.pem)");
  sub.add_flag("--trust-ca-response", o.trust_ca_response,
               "Without --ca-cert: trust the CA certificate of the first answer and pin it in the ledger");
  sub.add_flag("--accept-new-ca", o.accept_new_ca,
               "With --trust-ca-response: replace the ledger's pinned CA certificate (the CA changed on purpose)");
  sub.add_flag("--allow-insecure-http", o.allow_insecure_http, "Allow http:// (the request carries the PSK)");
  sub.add_option("--key-source", o.key_source, "Device key: station (EC P-256 + CSR) or none")
      ->check(CLI::IsMember({"station", "none"}))->capture_default_str();
  sub.add_option("--ca-retries", o.ca_retries, "Retries on connection errors, timeouts and 5xx")->capture_default_str();
  sub.add_option("--ca-timeout", o.ca_timeout_s, "Seconds for one registration, retries included")
      ->capture_default_str();
  sub.add_flag("--no-pop", o.no_pop, "Do not read the device's proof of possession and register it with the CA");

  sub.add_option("--nvs-offset", o.nvs_offset, "Flash offset of the credentials partition")->capture_default_str();
  sub.add_option("--nvs-size", o.nvs_size, "Size of the credentials partition")->capture_default_str();
  sub.add_option("--nvs-namespace", o.nvs_namespace, "NVS namespace (1..15 characters)")->capture_default_str();
  sub.add_option("--nvs-version", o.nvs_version, "NVS format version 1 or 2")->capture_default_str();
  sub.add_option("--nvs-keys", o.nvs_keys, "Encrypt the image with this nvs_keys partition (NVS encryption)");

  sub.add_option("--ssid", o.ssid, "WiFi network (1..32 bytes)");
  sub.add_option("--password", o.password,
                 "WiFi passphrase, 8..63 characters or 64 hex (visible in ps: prefer --password-file)")
      ->configurable(false);  // never inline in a station file: password-file
  sub.add_option("--password-file", o.password_file, "File holding the WiFi passphrase (first line)");
  sub.add_flag("--open", o.open, "The network is open (no password)");
  sub.add_flag("--no-wifi", o.no_wifi, "Skip WiFi configuration");
  sub.add_flag("--wifi-only", o.wifi_only, "Only configure WiFi on a running device; keep its credentials");
  sub.add_option("--wifi-protocol", o.wifi_protocol,
                 "How the WiFi settings reach the firmware: at (its console), improv (Improv Wi-Fi serial), auto "
                 "(Improv if the firmware answers it within 1 s, else AT)")
      ->check(CLI::IsMember({"at", "improv", "auto"}))
      ->capture_default_str();
  sub.add_option("--connect-timeout", o.connect_timeout_s, "Seconds to wait for the WiFi connection")
      ->capture_default_str();
  add_reset_flags(sub, o.reset_sequence, o.connect_attempts);
  add_timeout_flags(sub, o.erase_timeout_s, o.first_packet_timeout_s);
  add_usb_filter_flags(sub, o.usb);
  add_mqtt_options(sub, o.mqtt);
}

provision::workflow::ProvisionOptions to_provision_options(const ProvisionCliOptions& cli) {
  namespace workflow = provision::workflow;
  workflow::ProvisionOptions o;
  const auto rates = resolve_rates(cli.baud, cli.initial_baud, cli.flash_baud, 921600);
  o.baud = rates.initial;
  o.flash_baud = rates.operation == rates.initial ? 0 : rates.operation;
  provision::loader::require_chip_choice(cli.chip);
  o.expected_chip = cli.chip;
  o.reset.before = provision::loader::parse_before_reset(cli.before);
  o.reset.after = provision::loader::parse_after_reset(cli.after);
  o.reset.sequence = reset_sequence_of(cli.reset_sequence);
  o.reset.attempts = cli.connect_attempts;
  o.reset.sysfs_root = sysfs_root();
  o.loader_timeouts = operation_timeouts(cli.erase_timeout_s, cli.first_packet_timeout_s);
  o.compress = !cli.no_compress;
  o.ready_timeout = seconds(cli.ready_timeout_s, "ready_timeout");
  o.connect_timeout = seconds(cli.connect_timeout_s, "connect_timeout");
  o.wifi_protocol = provision::wifi::parse_protocol(cli.wifi_protocol, "wifi_protocol");
  if (!cli.uuid.empty()) o.uuid = provision::normalize_uuid(cli.uuid);
  if (auto psk = resolve_secret(kPsk, cli.psk, cli.psk_file); !psk.empty()) o.psk = provision::normalize_psk(psk);
  o.uuid_scheme = provision::parse_uuid_scheme(cli.scheme);
  o.wifi_only = cli.wifi_only;

  if (!cli.ca_url.empty() && !cli.wifi_only) {
    provision::ca::ClientOptions ca;
    ca.url = cli.ca_url;
    ca.token = resolve_secret(kCaToken, "", cli.token_file);
    ca.ca_bundle = cli.ca_bundle;
    if (!cli.ca_cert.empty()) ca.trusted_ca_pem = provision::read_file_text(cli.ca_cert);
    ca.trust_ca_response = cli.trust_ca_response;
    provision::ca::require_trust_choice(ca);
    ca.allow_insecure_http = cli.allow_insecure_http;
    ca.retries = cli.ca_retries;
    ca.timeout = seconds(cli.ca_timeout_s, "ca_timeout");
    provision::ca::Client check(ca);  // a bad URL, http without the flag, an unreadable bundle: refused now
    o.ca = ca;
  }
  o.station_key = provision::ca::parse_key_source(cli.key_source) == provision::ca::KeySource::station;
  o.register_pop = !cli.no_pop;
  o.mqtt = to_connectivity_options(cli.mqtt, cli.ca_cert);
  if (o.mqtt && (cli.ca_url.empty() || cli.no_wifi || cli.wifi_only)) {
    throw Error(ErrorCode::usage,
                "mqtt-url: the connectivity step needs a registered board on WiFi: give --ca-url and --ssid "
                "(not --no-wifi or --wifi-only); for a provisioned board use espprov mqtt-check",
                "mqtt-url");
  }

  o.nvs_offset = static_cast<std::uint32_t>(provision::nvs::parse_size(cli.nvs_offset, "nvs_offset"));
  if (o.nvs_offset % 4096 != 0) {
    throw Error(ErrorCode::bad_input,
                fmt::format("nvs_offset: {} is not a multiple of 0x1000 (flash sectors are 4 KiB)", cli.nvs_offset),
                "nvs_offset");
  }
  o.nvs.namespace_name = cli.nvs_namespace;
  o.nvs.size_bytes = provision::nvs::parse_size(cli.nvs_size, "nvs_size");
  o.nvs.version = parse_nvs_version(cli.nvs_version);
  if (!cli.nvs_keys.empty()) {
    NvsKeyOptions keys;
    keys.encrypt = true;
    keys.keys_file = cli.nvs_keys;
    o.nvs.keys = resolve_nvs_keys(keys);
  }
  o.firmware = firmware_regions(cli.flash, o.nvs_offset, o.nvs.size_bytes);
  // The namespace and size limits are checked now, on an empty identity, before any board is touched.
  provision::Record probe = provision::Record::object();
  probe["uuid"] = "00000000-0000-0000-0000-000000000000";
  probe["psk"] = std::string(64, '0');
  probe["mac"] = "02:00:00:00:00:00";  // a unicast (locally administered) placeholder
  provision::nvs::build_credentials_image(probe, o.nvs);

  if (cli.no_wifi) {
    if (!cli.ssid.empty()) {
      throw Error(ErrorCode::usage, "ssid: --no-wifi and --ssid contradict each other; drop one", "ssid");
    }
    if (cli.wifi_only) throw Error(ErrorCode::usage, "--no-wifi and --wifi-only contradict each other", "wifi_only");
  } else {
    if (cli.ssid.empty()) {
      throw Error(ErrorCode::usage, "ssid: give --ssid NETWORK (and --password-file F or --open), or --no-wifi",
                  "ssid");
    }
    provision::wifi::WifiSettings wifi;
    wifi.ssid = cli.ssid;
    wifi.password = resolve_secret(kWifiPassword, cli.password, cli.password_file);
    wifi.open = cli.open;
    provision::wifi::validate(wifi);
    o.wifi = wifi;
  }
  // A board without a certificate is provisioned only when the operator says so.
  if (!cli.wifi_only && cli.ca_url.empty() == !cli.no_ca) {
    throw Error(ErrorCode::usage,
                cli.no_ca ? "ca_url: --ca-url and --no-ca contradict each other; drop one"
                          : "ca_url: give --ca-url https://CA[:port] (with --ca-cert), or --no-ca to provision "
                            "without a certificate",
                "ca_url");
  }
  return o;
}

}  // namespace espprov
