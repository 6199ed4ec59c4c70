// One device, start to finish. Each step is a call into its own module; this file only orders them, keeps the
// record, times the steps and commits each one to the ledger before the next begins.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "provision/ca_crypto.hpp"
#include "provision/loader/session.hpp"
#include "provision/workflow.hpp"
#include "workflow/device_run.hpp"

namespace provision::workflow {
namespace {

constexpr unsigned kConsoleBaud = 115200;  // the firmware console's rate (PROTOCOL.md §5)

bool empty(const std::optional<std::string>& value) { return !value || value->empty(); }

// Identity fields a later run must reuse, never replace: the CA may already hold them. Only these are read from
// the ledger, so a field another step stored in an older form cannot block a resume.
constexpr const char* kKeptFields[] = {"uuid", "uuid_scheme", "psk", "device_key", "certificate", "ca_cert",
                                       "expiry", "cert_serial", "cert_fingerprint", "pop_registered"};

Record kept_identity(const Record& stored) {
  Record kept = Record::object();
  for (const char* field : kKeptFields) {
    if (stored.contains(field)) kept[field] = stored[field];
  }
  return kept;
}

// A value the caller gave (--uuid/--psk) that differs from what the ledger holds for this MAC is refused: the CA
// may have accepted the ledger's; replacing it silently would orphan that registration.
void check_given_matches(const std::optional<std::string>& have, const char* field,
                         const std::optional<std::string>& given, const std::string& mac) {
  if (!given || empty(have) || *have == *given) return;
  throw Error(ErrorCode::bad_input,
              fmt::format("{}: the ledger already holds another {} for {} (it may be registered with the CA); "
                          "run without --{} to resume with it, or remove the device from the ledger first "
                          "(espprov ledger forget {})",
                          field, field, mac, field, mac),
              field);
}

}  // namespace

DeviceRun::DeviceRun(std::string port, const ProvisionOptions& options, LedgerWriter& ledger, const Hooks& hooks,
                     SharedClients& clients)
    : port_(std::move(port)),
      options_(options),
      ledger_(ledger),
      hooks_(hooks),
      ca_client_(clients.ca.get()),
      mqtt_station_(clients.mqtt.get()) {
  record_.port = port_;
  // The steps' own events become progress within the workflow's step: one started/done pair per step.
  if (hooks_.progress) {
    module_progress_ = [this](const ProgressEvent& e) {
      ProgressEvent inner = e;
      inner.step = current_step_;
      if (inner.state == StepState::started || inner.state == StepState::done || inner.state == StepState::skipped) {
        inner.fraction = inner.state == StepState::started ? 0 : 1;
        inner.state = StepState::progress;
      }
      if (inner.state != StepState::failed) hooks_.progress(inner);
    };
  }
}

asio::awaitable<DeviceRecord> DeviceRun::run() {
  const auto started = Clock::now();
  try {
    if (options_.wifi_only) {
      co_await run_wifi_only();
    } else {
      co_await run_full();
    }
    record_.seconds = seconds_since(started);
    record_.timings = timings_;
    if (!mac_.empty()) {
      Record finished = to_json(record_);
      co_await ledger_.finish(mac_, finished);
    }
    record_.ok = true;
    co_return record_;
  } catch (const Error& error) {
    if (error.code() == ErrorCode::ledger) throw;
    record_.seconds = seconds_since(started);
    record_.timings = timings_;
    record_.merge(error_record(error));
    record_.failed_step = current_step_;
    co_return record_;
  }
}

asio::awaitable<void> DeviceRun::run_full() {
  co_await step("connect", [&]() -> asio::awaitable<void> { co_await connect_loader(); });
  co_await step("chip", [&]() -> asio::awaitable<void> {
    auto chip = co_await loader_->detect_chip();
    record_.merge(loader::chip_fields(chip));
    loader::require_expected_chip(chip.facts, options_.expected_chip, port_);
    refuse_unreadable_credentials();
  });
  co_await step("mac", [&]() -> asio::awaitable<void> {
    auto mac = co_await loader_->read_mac();
    record_.merge(loader::device_mac_fields(mac));
    mac_ = record_.mac.value_or("");
    co_await resume_from_ledger();
  });
  co_await step("identity", [&]() -> asio::awaitable<void> {
    make_identity();
    co_return;
  });
  if (options_.ca) {
    co_await step("ca-register", [&]() -> asio::awaitable<void> { co_await register_with_ca(std::nullopt); });
  }
  std::vector<std::uint8_t> image;
  co_await step("nvs-build", [&]() -> asio::awaitable<void> {
    image = build_image();
    co_return;
  });
  co_await step("flash", [&]() -> asio::awaitable<void> { co_await flash_image(image); });
  co_await step("boot", [&]() -> asio::awaitable<void> {
    co_await loader_->leave(options_.reset.after);
    loader_.reset();
    co_await wifi::wait_ready(*link_, options_.ready_timeout);
  });
  co_await configure_and_verify();
}

asio::awaitable<void> DeviceRun::run_wifi_only() {
  co_await step("connect", [&]() -> asio::awaitable<void> {
    link_ = co_await serial::open_link(port_, kConsoleBaud);
    if (hooks_.trace) link_->set_trace(hooks_.trace);
    co_await wifi::wait_ready(*link_, options_.ready_timeout);
  });
  co_await step("mac", [&]() -> asio::awaitable<void> {
    auto device = co_await wifi::info(*link_);
    record_.chip = device.chip;
    auto mac = parse_mac(device.mac);
    require_usable_mac(mac, "the firmware's AT+INFO?");
    record_.merge(mac_fields(mac));
    mac_ = record_.mac.value_or("");
    co_await resume_from_ledger();
    if (empty(record_.uuid) && !device.uuid.empty()) record_.uuid = device.uuid;
  });
  co_await configure_and_verify();
}

asio::awaitable<void> DeviceRun::configure_and_verify() {
  if (options_.wifi) {
    co_await step("wifi", [&]() -> asio::awaitable<void> {
      wifi::TransportOptions transport;
      transport.protocol = options_.wifi_protocol;
      transport.wait_for_console = false;  // the boot (or connect) step waited for it
      transport.at.connect_timeout = options_.connect_timeout;
      transport.at.no_reboot = true;  // the device stays connected and answers the verify step at once
      transport.at.progress = module_progress_;
      transport.at.device = port_;
      record_.merge(co_await wifi::configure_over(*link_, *options_.wifi, transport));
    });
  }
  co_await step("verify", [&]() -> asio::awaitable<void> {
    auto device = co_await wifi::info(*link_);
    const std::string expected = record_.uuid.value_or("");
    if (!expected.empty() && device.uuid != expected) {
      throw Error(ErrorCode::identity_mismatch,
                  fmt::format("uuid: the device reports '{}' but '{}' was flashed; check --nvs-offset against the "
                              "firmware's partition table (the 'prov' partition)",
                              device.uuid, expected),
                  "uuid");
    }
    if (device.mac != mac_) {
      throw Error(ErrorCode::identity_mismatch,
                  fmt::format("mac: the firmware reports {} but the ROM read {}", device.mac, mac_), "mac");
    }
    record_.fw_version = device.fw_version;
    record_.verified = true;
  });
  if (options_.mqtt) {
    co_await step("connectivity", [&]() -> asio::awaitable<void> {
      const Record current = to_json(record_);
      auto connected = co_await mqtt::check_connectivity(*link_, *options_.mqtt, current, *mqtt_station_);
      record_.merge(connected.fields());
    });
  }
  if (options_.ca && options_.register_pop && !options_.wifi_only && !record_.pop_registered.value_or(false)) {
    co_await step("pop-register", [&]() -> asio::awaitable<void> {
      std::string pop = co_await wifi::read_pop(*link_);
      co_await register_with_ca(pop);
      record_.pop_registered = true;
    });
  }
}

const char* DeviceRun::waited_for(const std::string& step) {
  static constexpr std::pair<const char*, const char*> kWaits[] = {
      {"ca-register", "CA"}, {"pop-register", "CA"},  {"boot", "firmware boot"},
      {"wifi", "WiFi"},      {"connectivity", "MQTT"},
  };
  for (const auto& [name, what] : kWaits) {
    if (step == name) return what;
  }
  return nullptr;
}

Error DeviceRun::port_failure(const Error& error, const std::string& port) {
  if (error.code() != ErrorCode::port_unavailable) return error;
  serial::PortUrl url;
  try {
    url = serial::parse_port_url(port);
  } catch (const Error&) {
    return error;
  }
  std::error_code ec;
  if (url.kind != serial::PortUrl::Kind::device || std::filesystem::exists(url.path, ec)) return error;
  return Error(ErrorCode::port_gone,
               fmt::format("port {} disappeared during the run (board unplugged or the USB link reset): {}; plug "
                           "it back and run again: the ledger resumes this board where it stopped",
                           port, error.what()),
               "port");
}

asio::awaitable<void> DeviceRun::connect_loader() {
  link_ = co_await serial::open_link(port_, options_.baud);
  if (hooks_.trace) link_->set_trace(hooks_.trace);
  loader_ = std::make_unique<loader::Loader>(*link_, module_progress_, port_);
  loader_->set_timeouts(options_.loader_timeouts);
  try {
    auto connect = loader::connect_options_for(port_, options_.reset.before, options_.reset.sequence,
                                               options_.reset.attempts, module_progress_, options_.reset.sysfs_root);
    co_await loader_->connect(connect);
    co_return;
  } catch (const Error& error) {
    // wrong_mode: the application's console answered and no reset reaches download mode (seen within the first
    // one or two resets); device_timeout: nothing answered at all, the firmware may still be there.
    if (error.code() != ErrorCode::device_timeout && error.code() != ErrorCode::wrong_mode) throw;
    const bool console_seen = error.code() == ErrorCode::wrong_mode;
    report(hooks_.progress, {port_, "connect", StepState::progress, 0,
                             console_seen ? "the firmware is running; asking it to enter the ROM loader (AT+BOOTLOADER)"
                                          : "no ROM answer; asking the firmware (AT+BOOTLOADER)"});
  }
  // The board may be running our firmware (a board without auto-reset wiring, or one a previous run left in the
  // app). Its console's AT+BOOTLOADER reboots it into download mode (PROTOCOL.md §5.3).
  link_->discard_input();
  bool asked = false;
  try {
    link_->set_baud(kConsoleBaud);
    co_await wifi::wait_ready(*link_, std::chrono::milliseconds(3000));  // AT until OK: ends any garbled line
    co_await wifi::enter_bootloader(*link_);
    asked = true;
  } catch (const Error&) {
  }
  link_->set_baud(options_.baud);
  if (!asked) {
    throw Error(ErrorCode::device_timeout,
                fmt::format("port {}: neither the ROM loader nor the firmware answered; hold BOOT and press RESET, "
                            "or check --before and the cable",
                            port_),
                "port");
  }
  loader_ = std::make_unique<loader::Loader>(*link_, module_progress_, port_);
  loader_->set_timeouts(options_.loader_timeouts);
  co_await loader_->connect(loader::BeforeReset::no_reset, options_.reset.attempts);
}

asio::awaitable<void> DeviceRun::resume_from_ledger() {
  auto entry = co_await ledger_.find(mac_);
  if (entry) {
    const Record kept = kept_identity(entry->record);
    const DeviceRecord stored = device_record_from_json(kept);
    check_given_matches(stored.uuid, "uuid", options_.uuid, mac_);
    check_given_matches(stored.psk, "psk", options_.psk, mac_);
    record_.merge(kept);
    record_.resumed = !empty(stored.psk);
  } else {
    record_.resumed = false;
  }
  auto begun = co_await ledger_.begin(mac_, port_);
  record_.attempts = begun.attempts;
}

void DeviceRun::make_identity() {
  if (empty(record_.uuid)) {
    if (options_.uuid) {
      record_.uuid = *options_.uuid;
      record_.uuid_scheme = "given";
    } else {
      record_.uuid = derive_uuid(parse_mac(mac_), options_.uuid_scheme);
      record_.uuid_scheme = std::string(to_string(options_.uuid_scheme));
    }
  }
  if (empty(record_.psk)) record_.psk = options_.psk ? *options_.psk : generate_psk();
  // The key is made here and committed with the identity, before the CA sees its CSR: a run killed after the CA
  // answered re-sends the same CSR and gets the same certificate.
  if (options_.ca && options_.station_key && empty(record_.device_key)) {
    record_.device_key = ca::private_key_pem(ca::generate_key().get());
  }
  if (options_.mqtt) record_.mqtt_url = options_.mqtt->broker.text;
  if (options_.wifi) {
    record_.wifi_ssid = options_.wifi->ssid;
    record_.wifi_password = options_.wifi->password;
  }
}

asio::awaitable<void> DeviceRun::register_with_ca(std::optional<std::string> pop) {
  ca::DeviceIdentity identity;
  identity.uuid = record_.uuid.value_or("");
  identity.psk = record_.psk.value_or("");
  identity.mac = record_.mac_hex.value_or("");
  identity.type = record_.chip.value_or("");
  identity.pop = std::move(pop);
  identity.key_source = options_.station_key ? ca::KeySource::station : ca::KeySource::none;
  if (!empty(record_.device_key)) identity.device_key = *record_.device_key;
  auto registration = co_await ca::register_device(*ca_client_, identity);
  // Trusted on first use: pinned before anything is flashed, so the next run accepts only this CA certificate.
  if (options_.ca->trust_ca_response) co_await ledger_.pin_ca(ca_pin_key(options_.ca->url), registration.ca_cert);
  record_.merge(registration.fields());
}

void DeviceRun::refuse_unreadable_credentials() const {
  // Before anything is registered or written (docs/loader.md, "Secure download mode and flash encryption").
  if (loader_->flash_encryption() && !options_.firmware.empty()) {
    throw Error(ErrorCode::flash_encrypted,
                fmt::format("{}: flash encryption is enabled on this chip; --flash writes plaintext, which the chip "
                            "would decrypt into garbage; nothing was registered or written. Write the firmware with "
                            "esptool --encrypt and provision without --flash",
                            port_),
                "flash");
  }
  if (loader_->flash_encryption() && !options_.nvs.keys) {
    throw Error(ErrorCode::flash_encrypted,
                fmt::format("{}: flash encryption is enabled on this chip, so its firmware opens NVS with NVS "
                            "encryption and would not read a plaintext credentials partition; nothing was "
                            "registered or written. Give the board's NVS keys with --nvs-keys (espprov nvs-keygen "
                            "makes them; the firmware must hold the same keys in its encrypted nvs_keys partition)",
                            port_),
                "nvs_keys");
  }
}

std::vector<std::uint8_t> DeviceRun::build_image() {
  auto image = nvs::build_credentials_image(to_json(record_), options_.nvs);
  record_.nvs_offset = fmt::format("0x{:X}", options_.nvs_offset);
  record_.nvs_size = fmt::format("0x{:X}", image.size());
  record_.nvs_md5 = loader::md5_hex(image);
  record_.nvs_encrypted = options_.nvs.keys.has_value();
  return image;
}

asio::awaitable<void> DeviceRun::flash_image(const std::vector<std::uint8_t>& image) {
  if (options_.flash_baud != 0) co_await loader_->change_baud(options_.flash_baud);
  loader::WriteOptions write;
  write.compress = options_.compress;
  write.verify = true;
  if (!options_.firmware.empty()) {
    Record regions = Record::array();
    for (const auto& region : options_.firmware) {
      auto result = co_await loader_->write_flash(region.offset, *region.data, write);
      Record fields = loader::write_fields(result);
      fields["file"] = region.name;
      regions.push_back(std::move(fields));
    }
    record_.merge(Record{{"firmware", std::move(regions)}});
  }
  write.secret = true;  // PSK, device key, WiFi password
  auto result = co_await loader_->write_flash(options_.nvs_offset, image, write);
  record_.flash_skipped = result.skipped;
  record_.flash_verified = result.verified;
  record_.sectors_total = result.sectors_total;
  record_.sectors_written = result.sectors_written;
  record_.bytes_on_wire = static_cast<std::int64_t>(loader_->bytes_on_wire());
  record_.resends = static_cast<std::int64_t>(loader_->resends());  // requests the line mangled and sent again
}

double DeviceRun::seconds_since(Clock::time_point start) {
  return std::round(std::chrono::duration<double>(Clock::now() - start).count() * 1000) / 1000;
}

SharedClients make_shared_clients(const ProvisionOptions& options) {
  SharedClients clients;
  if (options.ca) clients.ca = std::make_unique<ca::Client>(*options.ca);
  if (options.mqtt) clients.mqtt = std::make_unique<mqtt::StationSubscriber>(*options.mqtt);
  return clients;
}

asio::awaitable<DeviceRecord> run_device(std::string port, const ProvisionOptions& options, LedgerWriter& ledger,
                                         const Hooks& hooks, SharedClients& clients) {
  DeviceRun run(std::move(port), options, ledger, hooks, clients);
  co_return co_await run.run();
}

asio::awaitable<Record> provision_device(std::string port, const ProvisionOptions& options, Ledger& ledger,
                                         const Hooks& hooks) {
  LedgerWriter writer(ledger);
  auto clients = make_shared_clients(options);
  DeviceRecord record = co_await run_device(std::move(port), options, writer, hooks, clients);
  co_return to_json(record);
}

}  // namespace provision::workflow
