#include "fw/ble_provisioning.hpp"

namespace fw {

BleProvisioning::BleProvisioning(Platform& platform, ProvisioningService& service, nvs::NvsStore* store,
                                 BleRadio& radio, BleOptions options)
    : platform_(platform),
      service_(service),
      store_(store),
      radio_(radio),
      options_(std::move(options)),
      mode_(options_.mode),
      gatt_(platform, service, radio, options_.security) {}

void BleProvisioning::boot() {
  bool requested = false;
  if (store_ && store_->get_u8(kBleNamespace, kProvisioningAtBootKey).value_or(0) != 0) {
    requested = true;
    store_->erase_key(kBleNamespace, kProvisioningAtBootKey);  // once: a later plain reboot follows the rules again
  }
  apply(mode_.boot(platform_.now_ms(), wifi_configured(), requested));
}

bool BleProvisioning::wifi_configured() const {
  if (!service_.saved_networks().empty()) return true;
  const Credentials& credentials = service_.credentials();
  return credentials.wifi_ssid && check_ssid(*credentials.wifi_ssid) == Outcome::ok &&
         check_password(credentials.wifi_password) == Outcome::ok;
}

void BleProvisioning::on_button(bool pressed) { apply(mode_.button(pressed, platform_.now_ms())); }

void BleProvisioning::on_connected() {
  apply(mode_.connected(platform_.now_ms()));
  gatt_.on_connected();
}

void BleProvisioning::on_disconnected() {
  gatt_.on_disconnected();
  apply(mode_.disconnected(platform_.now_ms()));
}

void BleProvisioning::poll() {
  apply(mode_.tick(platform_.now_ms()));
  gatt_.flush_responses();
  run(gatt_.take_deferred_action());
}

void BleProvisioning::apply(ModeAction action) {
  switch (action) {
    case ModeAction::none: return;
    case ModeAction::start_advertising: radio_.start_advertising(options_.device_name); return;
    case ModeAction::stop_advertising: radio_.stop_advertising(); return;
  }
}

// The status notification went out with the command's write response; now the link drops and the device
// restarts (seed 002: "terminates BLE connection", "restarts").
void BleProvisioning::run(DeferredAction action) {
  if (action == DeferredAction::none) return;
  mode_.restarting();
  if (action == DeferredAction::factory_reset && store_) store_->set_u8(kBleNamespace, kProvisioningAtBootKey, 1);
  radio_.disconnect();
  if (action == DeferredAction::factory_reset) radio_.erase_bonds();  // unbinding: the old owner's keys go too
  platform_.restart(BootMode::app);
}

}  // namespace fw
