#include "esp_ble.hpp"

#include <cstring>
#include <string_view>

#include "esp_err.h"
#include "fw/ble_provisioning.hpp"
#include "host/ble_hs.h"
#include "host/ble_store.h"
#include "host/util/util.h"
#include "nimble/nimble_port.h"
#include "nimble/nimble_port_freertos.h"
#include "services/gap/ble_svc_gap.h"
#include "services/gatt/ble_svc_gatt.h"

// NimBLE's RAM bond store (CONFIG_BT_NIMBLE_NVS_PERSIST=n); ESP-IDF's examples declare it the same way.
extern "C" void ble_store_config_init(void);

namespace {

// NimBLE calls on_sync without a context argument; there is one radio per board.
EspBle* g_instance = nullptr;

// The service table NimBLE keeps pointers into for the life of the program.
ble_uuid128_t g_service_uuid;
std::array<ble_uuid128_t, 8> g_characteristic_uuids;
std::array<ble_gatt_chr_def, 9> g_characteristic_defs;  // + the zeroed terminator
std::array<ble_gatt_svc_def, 2> g_service_defs;

constexpr std::size_t kMaxAdvertisedName = 26;  // 31 bytes of advertising data - 3 (flags) - 2 (name header)

// Recursive: a notification sent under the lock can call on_gap_event (BLE_GAP_EVENT_NOTIFY_TX) on the same task
// before ble_gatts_notify_custom returns.
class CoreLock {
 public:
  explicit CoreLock(SemaphoreHandle_t lock) : lock_(lock) { xSemaphoreTakeRecursive(lock_, portMAX_DELAY); }
  ~CoreLock() { xSemaphoreGiveRecursive(lock_); }
  CoreLock(const CoreLock&) = delete;
  CoreLock& operator=(const CoreLock&) = delete;

 private:
  SemaphoreHandle_t lock_;
};

ble_uuid128_t to_nimble(const fw::gatt::Uuid128& uuid) {
  ble_uuid128_t out{};
  out.u.type = BLE_UUID_TYPE_128;
  const auto le = uuid.little_endian();  // ATT byte order
  std::memcpy(out.value, le.data(), le.size());
  return out;
}

ble_gatt_chr_flags flags_of(std::uint8_t properties) {
  ble_gatt_chr_flags flags = 0;
  if (properties & fw::kPropRead) flags |= BLE_GATT_CHR_F_READ;
  if (properties & fw::kPropWrite) flags |= BLE_GATT_CHR_F_WRITE;
  if (properties & fw::kPropNotify) flags |= BLE_GATT_CHR_F_NOTIFY;
  // No BLE_GATT_CHR_F_*_ENC flags: the core decides access, so the rule and its ATT errors are the tested ones.
  return flags;
}

}  // namespace

EspBle::EspBle(fw::Firmware& firmware, SemaphoreHandle_t core_lock)
    : firmware_(firmware), core_lock_(core_lock), conn_handle_(BLE_HS_CONN_HANDLE_NONE) {}

void EspBle::build_service() {
  g_service_uuid = to_nimble(fw::provisioning_service_uuid());
  const auto& table = fw::provisioning_characteristics();
  g_characteristic_defs = {};
  for (std::size_t i = 0; i < table.size() && i < kCharacteristics; ++i) {
    g_characteristic_uuids[i] = to_nimble(table[i].uuid);
    ble_gatt_chr_def& def = g_characteristic_defs[i];
    def.uuid = &g_characteristic_uuids[i].u;
    def.access_cb = &EspBle::on_access;
    def.arg = reinterpret_cast<void*>(static_cast<std::uintptr_t>(i));
    def.flags = flags_of(table[i].properties);
    def.val_handle = &value_handles_[i];
  }
  g_service_defs = {};
  g_service_defs[0].type = BLE_GATT_SVC_TYPE_PRIMARY;
  g_service_defs[0].uuid = &g_service_uuid.u;
  g_service_defs[0].characteristics = g_characteristic_defs.data();
}

void EspBle::start() {
  g_instance = this;
  ESP_ERROR_CHECK(nimble_port_init());
  ble_hs_cfg.sync_cb = &EspBle::on_sync;
  ble_hs_cfg.store_status_cb = ble_store_util_status_rr;
  // LE Secure Connections with bonding. The board has no display or keypad, so the association is Just Works:
  // ECDH keeps a passive listener out; the physical gate (first boot, BOOT held 3 s) stands in for MITM
  // protection (PROTOCOL.md §7.3).
  ble_hs_cfg.sm_io_cap = BLE_HS_IO_NO_INPUT_OUTPUT;
  ble_hs_cfg.sm_bonding = 1;
  ble_hs_cfg.sm_mitm = 0;
  ble_hs_cfg.sm_sc = 1;
  ble_hs_cfg.sm_our_key_dist = BLE_SM_PAIR_KEY_DIST_ENC | BLE_SM_PAIR_KEY_DIST_ID;
  ble_hs_cfg.sm_their_key_dist = BLE_SM_PAIR_KEY_DIST_ENC | BLE_SM_PAIR_KEY_DIST_ID;
  ble_svc_gap_init();
  ble_svc_gatt_init();
  build_service();
  ESP_ERROR_CHECK(ble_gatts_count_cfg(g_service_defs.data()) == 0 ? ESP_OK : ESP_FAIL);
  ESP_ERROR_CHECK(ble_gatts_add_svcs(g_service_defs.data()) == 0 ? ESP_OK : ESP_FAIL);
  ble_store_config_init();
  nimble_port_freertos_init(&EspBle::host_task);
}

void EspBle::host_task(void*) {
  nimble_port_run();  // returns only after nimble_port_stop()
  nimble_port_freertos_deinit();
}

// A new random static address at every boot: bonds live in RAM (the core owns the NVS partition), so after a
// restart the phone meets what looks like a new device and pairs afresh instead of failing with a stale key.
void EspBle::on_sync() {
  EspBle& self = *g_instance;
  ble_addr_t address;
  if (ble_hs_id_gen_rnd(0, &address) == 0 && ble_hs_id_set_rnd(address.val) == 0) {
    self.own_addr_type_ = BLE_OWN_ADDR_RANDOM;
  } else {
    ble_hs_id_infer_auto(0, &self.own_addr_type_);
  }
  CoreLock lock(self.core_lock_);
  self.synced_ = true;
  if (self.advertising_wanted_) self.advertise_now();
}

void EspBle::start_advertising(const std::string& name) {
  name_ = name.substr(0, kMaxAdvertisedName);
  advertising_wanted_ = true;
  if (synced_) advertise_now();  // else on_sync starts it
}

void EspBle::advertise_now() {
  ble_svc_gap_device_name_set(name_.c_str());
  ble_hs_adv_fields fields{};
  fields.flags = BLE_HS_ADV_F_DISC_GEN | BLE_HS_ADV_F_BREDR_UNSUP;
  fields.name = reinterpret_cast<const std::uint8_t*>(name_.data());
  fields.name_len = static_cast<std::uint8_t>(name_.size());
  fields.name_is_complete = 1;
  ble_gap_adv_set_fields(&fields);
  // Flags and a 15-byte name leave no room for a 128-bit UUID (18 bytes) in 31: it goes in the scan response.
  ble_hs_adv_fields response{};
  response.uuids128 = &g_service_uuid;
  response.num_uuids128 = 1;
  response.uuids128_is_complete = 1;
  ble_gap_adv_rsp_set_fields(&response);
  ble_gap_adv_params params{};
  params.conn_mode = BLE_GAP_CONN_MODE_UND;
  params.disc_mode = BLE_GAP_DISC_MODE_GEN;
  if (ble_gap_adv_active()) ble_gap_adv_stop();
  ble_gap_adv_start(own_addr_type_, nullptr, BLE_HS_FOREVER, &params, &EspBle::on_gap_event, this);
}

void EspBle::stop_advertising() {
  advertising_wanted_ = false;
  if (ble_gap_adv_active()) ble_gap_adv_stop();
}

bool EspBle::notify(fw::GattChar characteristic, const std::string& value) {
  const auto index = static_cast<std::size_t>(characteristic);
  if (conn_handle_ == BLE_HS_CONN_HANDLE_NONE || index >= kCharacteristics || !subscribed_[index]) return true;
  os_mbuf* om = ble_hs_mbuf_from_flat(value.data(), static_cast<std::uint16_t>(value.size()));
  if (!om) return false;  // out of mbufs: the core keeps the fragment and retries from poll()
  return ble_gatts_notify_custom(conn_handle_, value_handles_[index], om) == 0;  // consumes om either way
}

void EspBle::disconnect() {
  if (conn_handle_ != BLE_HS_CONN_HANDLE_NONE) ble_gap_terminate(conn_handle_, BLE_ERR_REM_USER_CONN_TERM);
}

void EspBle::erase_bonds() { ble_store_clear(); }

fw::gatt::LinkSecurity EspBle::link_security(std::uint16_t conn_handle) const {
  fw::gatt::LinkSecurity security;
  ble_gap_conn_desc desc;
  if (ble_gap_conn_find(conn_handle, &desc) != 0) return security;
  security.encrypted = desc.sec_state.encrypted;
  security.authenticated = desc.sec_state.authenticated;
  security.bonded = desc.sec_state.bonded;
  security.key_size_bytes = desc.sec_state.key_size;
  // Whether the keys came from LE Secure Connections is recorded with the bond, not in the link state.
  ble_store_key_sec key{};
  key.peer_addr = desc.peer_id_addr;
  ble_store_value_sec stored{};
  if (ble_store_read_peer_sec(&key, &stored) == 0) {
    security.bonded = true;
    security.secure_connections = stored.sc;
  }
  return security;
}

int EspBle::index_of_handle(std::uint16_t attr_handle) const {
  for (std::size_t i = 0; i < kCharacteristics; ++i) {
    if (value_handles_[i] == attr_handle) return static_cast<int>(i);
  }
  return -1;
}

int EspBle::on_access(std::uint16_t conn_handle, std::uint16_t, ble_gatt_access_ctxt* ctxt, void* arg) {
  EspBle& self = *g_instance;
  const auto index = reinterpret_cast<std::uintptr_t>(arg);
  const fw::GattChar characteristic = fw::provisioning_characteristics()[index].id;
  CoreLock lock(self.core_lock_);
  fw::BleProvisioning* ble = self.firmware_.ble();
  if (!ble) return BLE_ATT_ERR_UNLIKELY;
  const fw::gatt::LinkSecurity security = self.link_security(conn_handle);
  if (ctxt->op == BLE_GATT_ACCESS_OP_READ_CHR) {
    // NimBLE serves Read Blob offsets from the whole value appended here.
    const fw::AttRead read = ble->read(characteristic, security);
    if (read.error != fw::gatt::AttError::ok) return static_cast<int>(read.error);
    return os_mbuf_append(ctxt->om, read.value.data(), read.value.size()) == 0 ? 0 : BLE_ATT_ERR_INSUFFICIENT_RES;
  }
  if (ctxt->op == BLE_GATT_ACCESS_OP_WRITE_CHR) {
    static std::array<char, fw::gatt::kMaxAttributeBytes> buffer;  // the host task is the only writer
    if (OS_MBUF_PKTLEN(ctxt->om) > buffer.size()) return BLE_ATT_ERR_INVALID_ATTR_VALUE_LEN;
    std::uint16_t copied = 0;
    if (ble_hs_mbuf_to_flat(ctxt->om, buffer.data(), buffer.size(), &copied) != 0) return BLE_ATT_ERR_UNLIKELY;
    return static_cast<int>(ble->write(characteristic, std::string_view(buffer.data(), copied), security));
  }
  return BLE_ATT_ERR_UNLIKELY;
}

int EspBle::on_gap_event(ble_gap_event* event, void*) {
  EspBle& self = *g_instance;
  switch (event->type) {
    case BLE_GAP_EVENT_CONNECT:
    case BLE_GAP_EVENT_DISCONNECT:
    case BLE_GAP_EVENT_SUBSCRIBE:
    case BLE_GAP_EVENT_MTU:
    case BLE_GAP_EVENT_REPEAT_PAIRING:
      break;
    default:
      return 0;  // NOTIFY_TX, ENC_CHANGE, CONN_UPDATE, ...: nothing for the core (security is read per access)
  }
  CoreLock lock(self.core_lock_);
  fw::BleProvisioning* ble = self.firmware_.ble();
  switch (event->type) {
    case BLE_GAP_EVENT_CONNECT:
      if (event->connect.status != 0) {
        if (self.advertising_wanted_) self.advertise_now();  // the attempt failed and advertising stopped
        return 0;
      }
      self.conn_handle_ = event->connect.conn_handle;
      self.subscribed_.fill(false);
      self.advertising_wanted_ = false;  // the controller stops advertising on a connection
      if (ble) ble->on_connected();
      return 0;
    case BLE_GAP_EVENT_DISCONNECT:
      self.conn_handle_ = BLE_HS_CONN_HANDLE_NONE;
      self.subscribed_.fill(false);
      if (ble) ble->on_disconnected();
      return 0;
    case BLE_GAP_EVENT_SUBSCRIBE: {
      const int index = self.index_of_handle(event->subscribe.attr_handle);
      if (index < 0) return 0;
      self.subscribed_[index] = event->subscribe.cur_notify;
      if (ble) ble->on_subscribe(fw::provisioning_characteristics()[index].id, event->subscribe.cur_notify);
      return 0;
    }
    case BLE_GAP_EVENT_MTU:
      if (ble) ble->on_mtu_changed(event->mtu.value);
      return 0;
    case BLE_GAP_EVENT_REPEAT_PAIRING: {
      // The phone forgot us and pairs again: drop the old bond and let the new pairing proceed.
      ble_gap_conn_desc desc;
      if (ble_gap_conn_find(event->repeat_pairing.conn_handle, &desc) == 0) {
        ble_store_util_delete_peer(&desc.peer_id_addr);
      }
      return BLE_GAP_REPEAT_PAIRING_RETRY;
    }
    default:
      return 0;
  }
}
