// Composes the core: reads the flash layout and state at boot, then routes console input to the AT server and
// radio events and timers to the provisioning service.
#include "fw/firmware.hpp"

#include <optional>
#include <vector>

#include "fw/at_server.hpp"
#include "fw/ble_provisioning.hpp"
#include "fw/console_input.hpp"
#include "fw/improv_server.hpp"
#include "fw/mqtt_service.hpp"
#include "fw/device_identity.hpp"
#include "fw/nvs_store.hpp"
#include "fw/partition_table.hpp"
#include "fw/provisioning_service.hpp"

namespace fw {

struct Firmware::Impl {
  Impl(Platform& p, FirmwareInfo i) : platform(p), info(i) {}

  void log(const std::string& line) { platform.console_write(line + "\r\n"); }
  std::vector<Partition> read_partition_table();

  Platform& platform;
  FirmwareInfo info;
  ConsoleInput console;
  std::optional<nvs::NvsStore> store;
  std::optional<ProvisioningService> service;
  std::optional<AtServer> at;
  std::optional<ImprovServer> improv;
  std::optional<MqttService> mqtt;
  BleRadio* ble_radio = nullptr;
  std::optional<BleOptions> ble_options;
  std::optional<BleProvisioning> ble;
  std::uint64_t last_console_ms = 0;
};

namespace {
constexpr std::uint64_t kFrameIdleTimeoutMs = 1000;  // Improv frames arrive in one burst
}

std::vector<Partition> Firmware::Impl::read_partition_table() {
  std::vector<std::uint8_t> bytes(kPartitionTableMaxBytes, 0xFF);
  if (platform.flash_read(kPartitionTableOffset, bytes.data(), bytes.size())) {
    auto table = parse_partition_table(bytes.data(), bytes.size());
    if (!table.empty()) return table;
  }
  // A blank flash (a simulated device nobody flashed a table to) gets the documented layout.
  log("partition table not found, using the default layout");
  return default_partition_table();
}

Firmware::Firmware(Platform& platform, FirmwareInfo info) : impl_(std::make_unique<Impl>(platform, info)) {}

Firmware::~Firmware() = default;

void Firmware::boot() {
  Impl& s = *impl_;
  s.mqtt.reset();
  s.improv.reset();
  s.ble.reset();
  s.at.reset();
  s.service.reset();
  s.store.reset();
  s.console = ConsoleInput{};
  s.log(std::string(s.info.name) + " " + s.info.version + " on " + s.platform.chip_name() + ", mac " +
        format_mac(s.platform.factory_mac()));
  const auto table = s.read_partition_table();
  const auto fits = [&](const Partition& p) { return p.offset + std::uint64_t{p.size} <= s.platform.flash_size(); };

  Credentials credentials;
  MqttSettings mqtt_settings;
  if (auto prov = find_nvs_partition(table, "prov"); prov && fits(*prov)) {
    credentials = read_credentials(s.platform, *prov, kCredentialsNamespace);
    mqtt_settings = read_mqtt_settings(s.platform, *prov, kCredentialsNamespace);
  } else {
    s.log("no prov partition on this flash");
  }
  s.log(credentials.provisioned() ? "credentials: uuid " + credentials.uuid : std::string("credentials: none"));

  if (auto own = find_nvs_partition(table, "nvs"); own && fits(*own)) {
    s.store.emplace(s.platform, own->offset, own->size);
    if (!s.store->load()) {
      s.log("warning: nvs partition unreadable, settings will not persist");
      s.store.reset();
    }
  } else {
    s.log("warning: no nvs partition, settings will not persist");
  }
  nvs::NvsStore* store = s.store ? &*s.store : nullptr;
  const PopResult pop = load_or_create_pop(s.platform, store);
  if (pop.created) s.log(pop.persisted ? "proof of possession generated" : "warning: proof of possession not saved");

  s.service.emplace(s.platform, store, std::move(credentials), pop.pop);
  s.at.emplace(s.platform, *s.service, s.info);
  s.improv.emplace(s.platform, *s.service, s.info);
  s.service->add_listener(&*s.at);
  s.service->add_listener(&*s.improv);
  s.mqtt.emplace(s.platform, *s.service, store, std::move(mqtt_settings), s.info);
  s.service->add_listener(&*s.mqtt);
  s.at->add_extension([&s](const std::string& name, const std::vector<std::string>& args) {
    return s.mqtt->handle_at(name, args);
  });
  s.log("saved networks: " + std::to_string(s.service->saved_networks().size()));
  if (s.ble_radio) {
    s.ble.emplace(s.platform, *s.service, store, *s.ble_radio, *s.ble_options);
    s.service->add_listener(&s.ble->gatt());
    s.ble->boot();
    if (s.ble->mode().state() == ProvisioningMode::State::advertising) {
      s.log("ble provisioning: advertising as " + s.ble_options->device_name);
    }
  }
  s.log("+READY");
  // After a factory_reset sent on MQTT cmd (seed 002's unbind) the device waits to be provisioned, once.
  if (store && store->get_u8(kMqttNamespace, kMqttUnbindKey).value_or(0) != 0) {
    store->erase_key(kMqttNamespace, kMqttUnbindKey);
    s.log("factory reset over MQTT: waiting for WiFi provisioning");
    return;
  }
  s.service->start_auto_connect();
}

void Firmware::attach_ble(BleRadio& radio, const BleOptions& options) {
  impl_->ble_radio = &radio;
  impl_->ble_options = options;
}

BleProvisioning* Firmware::ble() { return impl_->ble ? &*impl_->ble : nullptr; }

void Firmware::on_button(bool pressed) {
  if (impl_->ble) impl_->ble->on_button(pressed);
}

void Firmware::on_console_bytes(std::string_view bytes) {
  Impl& s = *impl_;
  if (!s.at) return;  // not booted
  s.last_console_ms = s.platform.now_ms();
  for (auto& event : s.console.feed(bytes)) {
    switch (event.kind) {
      case ConsoleEvent::Kind::line: s.at->handle_line(event.bytes); break;
      case ConsoleEvent::Kind::line_too_long: s.at->report_line_too_long(); break;
      case ConsoleEvent::Kind::improv_frame: s.improv->handle_frame(event.bytes); break;
    }
  }
}

void Firmware::on_wifi_event(const WifiEvent& event) {
  if (impl_->service) impl_->service->on_wifi_event(event);
}

void Firmware::on_mqtt_event(const MqttEvent& event) {
  if (impl_->mqtt) impl_->mqtt->on_event(event);
}

void Firmware::poll() {
  Impl& s = *impl_;
  if (s.console.in_frame() && s.platform.now_ms() - s.last_console_ms >= kFrameIdleTimeoutMs) {
    s.console.abandon_frame();
  }
  if (s.service) s.service->poll();
  if (s.mqtt) s.mqtt->poll();
  if (s.ble) s.ble->poll();
}

}  // namespace fw
