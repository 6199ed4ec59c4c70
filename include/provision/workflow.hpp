// The whole job, one device or many: reset into the loader, detect the chip, read the MAC, derive the identity,
// register with the CA, build and flash the credentials image, boot the firmware, configure WiFi and confirm the
// device reports the identity it was given. A thin composition of the steps (loader, identity, ca, nvs, wifi);
// every step's result goes to the ledger in its own transaction, so a run that stops anywhere resumes where it
// stopped with the same UUID, PSK, key and certificate.
#pragma once

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "provision/ca.hpp"
#include "provision/identity.hpp"
#include "provision/ledger.hpp"
#include "provision/loader.hpp"
#include "provision/mqtt_check.hpp"
#include "provision/nvs.hpp"
#include "provision/progress.hpp"
#include "provision/record.hpp"
#include "provision/serial.hpp"
#include "provision/serial/usb_ports.hpp"
#include "provision/wifi.hpp"
#include "provision/wifi_settings.hpp"
#include "provision/loader/regions.hpp"
#include "provision/wifi_transport.hpp"

namespace provision::workflow {

namespace asio = boost::asio;

// The steps, in order; their names are the ledger's and the progress events' step names.
inline constexpr const char* kSteps[] = {"connect", "chip",  "mac",  "identity", "ca-register", "nvs-build",
                                         "flash",   "boot",  "wifi", "verify",   "connectivity", "pop-register"};

// --before / --after, and how many reset + SYNC rounds before giving up.
struct ResetOptions {
  loader::BeforeReset before = loader::BeforeReset::default_reset;
  loader::AfterReset after = loader::AfterReset::hard_reset;
  int attempts = 7;                               // 0 = until the board answers
  std::optional<loader::ResetSequence> sequence;  // --reset-sequence instead of `before`
  std::string sysfs_root = "/";                   // where a port's USB bridge is looked up (303a:1001 -> usb-reset)
};

struct ProvisionOptions {
  // Serial and loader.
  unsigned baud = 115200;        // the ROM's rate after reset (--initial-baud)
  unsigned flash_baud = 921600;  // the flash step's rate (--baud); 0 = stay at `baud`
  std::string expected_chip = "auto";  // --chip: the chip step refuses a board carrying another (wrong_board)
  ResetOptions reset;
  loader::OperationTimeouts loader_timeouts;        // --erase-timeout, --first-packet-timeout
  std::chrono::milliseconds ready_timeout{10000};   // firmware's +READY after boot
  // Identity (seed task 3: pre-assigned identities).
  std::optional<std::string> uuid;  // normalised
  std::optional<std::string> psk;   // normalised
  UuidScheme uuid_scheme = UuidScheme::seed;
  // Certificate authority; no url = no registration (the image then carries only the identity and WiFi).
  std::optional<ca::ClientOptions> ca;
  bool station_key = true;  // generate the device key and send a CSR (--key-source station|none)
  // Credentials image.
  std::uint32_t nvs_offset = 0x3F0000;  // the bundled firmware's `prov` partition (firmware/PROTOCOL.md §1)
  nvs::CredentialsOptions nvs;          // namespace, size, version, encryption keys
  // --flash OFFSET FILE: the application, bootloader, partition table... written in the flash step before the
  // credentials image, each verified; a region that already holds its data is skipped, a changed one rewrites only
  // its differing sectors (so a resumed run costs little). Checked to overlap neither each other nor the
  // credentials partition before any board is touched (to_provision_options).
  std::vector<loader::FlashRegion> firmware;
  bool compress = true;
  // WiFi.
  std::optional<wifi::WifiSettings> wifi;  // nullopt with --no-wifi
  wifi::Protocol wifi_protocol = wifi::Protocol::at;  // how the settings reach the firmware (wifi_transport.hpp)
  std::chrono::milliseconds connect_timeout{20000};
  bool wifi_only = false;   // seed task 2: change WiFi, keep the credentials (no loader, no CA, no flash)
  bool register_pop = true; // read AT+POP? and register it with the CA for claiming
  // MQTT (--mqtt-url): the URL goes into the credentials image (key mqtt_url) and the connectivity step runs after
  // verify: the board connects to the broker with its certificate and the station sees its birth message.
  std::optional<mqtt::ConnectivityOptions> mqtt;
};

// Where a device run reports; all optional.
struct Hooks {
  ProgressSink progress;
  serial::TraceSink trace;              // --trace: already masked
  const std::atomic<bool>* stop = nullptr;  // set by SIGINT/SIGTERM: the device stops at the next step boundary
};

// Provisions the device on `port`. Returns the final record ({"ok":true,...} or an error record that says which
// step failed); never throws for a device's failure. Ledger errors are the only exception: without the ledger,
// nothing may go on.
asio::awaitable<Record> provision_device(std::string port, const ProvisionOptions& options, Ledger& ledger,
                                         const Hooks& hooks);

// Many devices at once on the calling coroutine's executor: at most `jobs` in flight; one failing device never
// stops the others. `on_done` gets each final record as its device finishes. With `loop`, each port waits for the
// next board (another MAC) after finishing and provisions it, until `hooks.stop` is set.
struct StationOptions {
  std::vector<std::string> ports;
  std::size_t jobs = 0;  // 0 = all ports at once
  bool loop = false;
  std::chrono::milliseconds board_poll{1000};
  // --ports auto: every ESP-looking USB serial port under `sysfs_root` the filter accepts (added to `ports`); with
  // `loop`, ports are listed again every `board_poll`, so a board plugged in later is picked up, and a port's
  // worker ends when its port disappears.
  std::optional<serial::UsbPortFilter> auto_ports;
  std::string sysfs_root = "/";
};
asio::awaitable<void> provision_station(const StationOptions& station, const ProvisionOptions& options,
                                        Ledger& ledger, const Hooks& hooks,
                                        std::function<void(const Record&)> on_done);

// --trust-ca-response (ca.trust_ca_response) in a provision run: a CA certificate the ledger pinned for this CA
// URL becomes the trusted one (ca.trusted_ca_pem), unless `accept_new_ca`; without a pin, each device run pins
// the CA certificate it registered with before anything is flashed.
void apply_ca_pin(Ledger& ledger, ca::ClientOptions& ca, bool accept_new_ca);
std::string ca_pin_key(const std::string& ca_url);  // the ledger's key for a --ca-url: scheme, host, port, base

// Expands --ports 'GLOB' (e.g. /dev/ttyUSB*) to the existing paths, sorted. Throws Error(bad_input, "ports") when
// nothing matches.
std::vector<std::string> expand_port_glob(const std::string& pattern);

// The ports --ports auto takes now: ESP-looking bridges the filter accepts, as paths to open (under `sysfs_root`
// when it is not "/").
std::vector<std::string> auto_ports(const serial::UsbPortFilter& filter, const std::string& sysfs_root);

}  // namespace provision::workflow
