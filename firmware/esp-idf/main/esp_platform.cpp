#include "esp_platform.hpp"

#include <algorithm>
#include <cstring>

#include "esp_event.h"
#include "esp_flash.h"
#include "esp_mac.h"
#include "esp_netif.h"
#include "esp_partition.h"
#include "esp_random.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "sdkconfig.h"
#include "soc/soc_caps.h"
#if CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
#include "driver/usb_serial_jtag.h"
#else
#include "driver/uart.h"
#endif
#if __has_include("soc/rtc_cntl_reg.h")
#include "soc/rtc_cntl_reg.h"
#endif

namespace {

#if !CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
constexpr uart_port_t kConsoleUart = static_cast<uart_port_t>(CONFIG_ESP_CONSOLE_UART_NUM);
#endif
constexpr std::size_t kConsoleBufferBytes = 1024;
constexpr std::size_t kEventQueueLength = 8;
constexpr std::uint16_t kMaxScanRecords = 32;

// Radio events cross from the event-loop task to the main loop as plain bytes (a queue copies them).
struct QueuedEvent {
  fw::WifiEvent::Kind kind;
  fw::WifiFailure failure;
  char ip[16];
  int rssi_dbm;
};

// Reason codes of WIFI_EVENT_STA_DISCONNECTED (esp_wifi_types.h) as the contract's failure reasons.
fw::WifiFailure failure_of(std::uint8_t reason) {
  switch (reason) {
    case WIFI_REASON_AUTH_FAIL:
    case WIFI_REASON_4WAY_HANDSHAKE_TIMEOUT:
    case WIFI_REASON_HANDSHAKE_TIMEOUT:
    case WIFI_REASON_MIC_FAILURE:
    case WIFI_REASON_802_1X_AUTH_FAILED:
      return fw::WifiFailure::wrong_password;
    case WIFI_REASON_NO_AP_FOUND:
      return fw::WifiFailure::ap_not_found;
    case WIFI_REASON_AUTH_EXPIRE:
    case WIFI_REASON_ASSOC_EXPIRE:
    case WIFI_REASON_BEACON_TIMEOUT:
      return fw::WifiFailure::timeout;
    default:
      return fw::WifiFailure::other;
  }
}

fw::WifiAuth auth_of(wifi_auth_mode_t mode) {
  switch (mode) {
    case WIFI_AUTH_OPEN: return fw::WifiAuth::open;
    case WIFI_AUTH_WEP: return fw::WifiAuth::wep;
    case WIFI_AUTH_WPA_PSK: return fw::WifiAuth::wpa;
    case WIFI_AUTH_WPA3_PSK: return fw::WifiAuth::wpa3;
    case WIFI_AUTH_WPA2_WPA3_PSK: return fw::WifiAuth::wpa2_wpa3;
    default: return fw::WifiAuth::wpa2;  // WPA2, WPA/WPA2, enterprise
  }
}

// The data partition holding [address, address + length), or null: the core may write only there, never over
// the bootloader, the partition table or the app.
const esp_partition_t* data_partition_at(std::uint32_t address, std::size_t length) {
  esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, nullptr);
  const esp_partition_t* found = nullptr;
  for (; it != nullptr; it = esp_partition_next(it)) {
    const esp_partition_t* p = esp_partition_get(it);
    if (address >= p->address && std::uint64_t{address} + length <= std::uint64_t{p->address} + p->size) {
      found = p;
      break;
    }
  }
  esp_partition_iterator_release(it);
  return found;
}

}  // namespace

EspPlatform::EspPlatform() : events_(xQueueCreate(kEventQueueLength, sizeof(QueuedEvent))) {}

void EspPlatform::start() {
#if CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
  usb_serial_jtag_driver_config_t config = USB_SERIAL_JTAG_DRIVER_CONFIG_DEFAULT();
  config.rx_buffer_size = kConsoleBufferBytes;
  config.tx_buffer_size = kConsoleBufferBytes;
  ESP_ERROR_CHECK(usb_serial_jtag_driver_install(&config));
#else
  ESP_ERROR_CHECK(uart_driver_install(kConsoleUart, kConsoleBufferBytes, kConsoleBufferBytes, 0, nullptr, 0));
#endif
  ESP_ERROR_CHECK(esp_netif_init());
  ESP_ERROR_CHECK(esp_event_loop_create_default());
  esp_netif_create_default_wifi_sta();
  wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
  ESP_ERROR_CHECK(esp_wifi_init(&init));
  ESP_ERROR_CHECK(esp_wifi_set_storage(WIFI_STORAGE_RAM));  // the core keeps the networks, not the driver
  ESP_ERROR_CHECK(esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, &EspPlatform::on_wifi_event, this));
  ESP_ERROR_CHECK(esp_event_handler_register(IP_EVENT, IP_EVENT_STA_GOT_IP, &EspPlatform::on_wifi_event, this));
  ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
  ESP_ERROR_CHECK(esp_wifi_start());
}

std::size_t EspPlatform::console_read(char* out, std::size_t capacity, std::uint32_t timeout_ms) {
#if CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
  const int n = usb_serial_jtag_read_bytes(out, capacity, pdMS_TO_TICKS(timeout_ms));
#else
  const int n = uart_read_bytes(kConsoleUart, out, capacity, pdMS_TO_TICKS(timeout_ms));
#endif
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void EspPlatform::console_write(std::string_view bytes) {
#if CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
  usb_serial_jtag_write_bytes(bytes.data(), bytes.size(), portMAX_DELAY);
#else
  uart_write_bytes(kConsoleUart, bytes.data(), bytes.size());
#endif
}

bool EspPlatform::flash_read(std::uint32_t address, void* out, std::size_t length) {
  return esp_flash_read(nullptr, out, address, length) == ESP_OK;
}

bool EspPlatform::flash_write(std::uint32_t address, const void* data, std::size_t length) {
  const esp_partition_t* p = data_partition_at(address, length);
  return p && esp_partition_write_raw(p, address - p->address, data, length) == ESP_OK;
}

bool EspPlatform::flash_erase(std::uint32_t address, std::size_t length) {
  const esp_partition_t* p = data_partition_at(address, length);
  return p && esp_partition_erase_range(p, address - p->address, length) == ESP_OK;
}

std::uint32_t EspPlatform::flash_size() const {
  std::uint32_t size = 0;
  esp_flash_get_size(nullptr, &size);
  return size;
}

void EspPlatform::random_bytes(std::uint8_t* out, std::size_t length) {
  esp_fill_random(out, length);  // a CSPRNG while the RF subsystem runs, which the WiFi station keeps on
}

std::uint64_t EspPlatform::now_ms() { return static_cast<std::uint64_t>(esp_timer_get_time() / 1000); }

void EspPlatform::restart(fw::BootMode mode) { restart_mode_ = mode; }

void EspPlatform::restart_if_requested() {
  if (!restart_mode_) return;
  vTaskDelay(pdMS_TO_TICKS(50));  // let the final "OK" leave the console
  if (*restart_mode_ == fw::BootMode::download) {
#if defined(RTC_CNTL_OPTION1_REG) && defined(RTC_CNTL_FORCE_DOWNLOAD_BOOT)
    // Makes the ROM enter its serial download mode on the next software reset (ESP32-S2/S3/C3).
    REG_WRITE(RTC_CNTL_OPTION1_REG, RTC_CNTL_FORCE_DOWNLOAD_BOOT);
#else
    console_write("download mode needs the BOOT strap on this chip; rebooting into the app\r\n");
#endif
  }
  esp_restart();
}

std::string EspPlatform::chip_name() const { return CONFIG_IDF_TARGET; }

std::array<std::uint8_t, 6> EspPlatform::factory_mac() const {
  std::array<std::uint8_t, 6> mac{};
  esp_read_mac(mac.data(), ESP_MAC_WIFI_STA);
  return mac;
}

std::vector<fw::ScanResult> EspPlatform::wifi_scan() {
  std::vector<fw::ScanResult> results;
  if (esp_wifi_scan_start(nullptr, true) != ESP_OK) return results;  // blocking: a scan takes about 2 s
  std::uint16_t count = kMaxScanRecords;
  std::vector<wifi_ap_record_t> records(count);
  if (esp_wifi_scan_get_ap_records(&count, records.data()) != ESP_OK) return results;
  for (std::uint16_t i = 0; i < count; ++i) {
    const auto* ssid = reinterpret_cast<const char*>(records[i].ssid);
    results.push_back({std::string(ssid, strnlen(ssid, sizeof records[i].ssid)), records[i].rssi,
                       auth_of(records[i].authmode), records[i].primary});
  }
  return results;
}

void EspPlatform::wifi_connect(const std::string& ssid, const std::string& password) {
  wifi_config_t config = {};
  // Both fields are fixed arrays; a 32-byte SSID or 64-digit PSK fills them without a NUL, as the driver expects.
  std::memcpy(config.sta.ssid, ssid.data(), std::min(ssid.size(), sizeof config.sta.ssid));
  std::memcpy(config.sta.password, password.data(), std::min(password.size(), sizeof config.sta.password));
  config.sta.threshold.authmode = password.empty() ? WIFI_AUTH_OPEN : WIFI_AUTH_WEP;
  config.sta.scan_method = WIFI_ALL_CHANNEL_SCAN;  // the strongest AP of that SSID, not the first found
  config.sta.sort_method = WIFI_CONNECT_AP_BY_SIGNAL;
  esp_wifi_set_config(WIFI_IF_STA, &config);
  attempting_ = true;
  if (esp_wifi_connect() != ESP_OK) {
    attempting_ = false;
    queue_event({fw::WifiEvent::Kind::failed, {}, 0, fw::WifiFailure::other});
  }
}

void EspPlatform::wifi_disconnect() {
  if (!attempting_ && !connected_) return;
  disconnect_requested_ = true;
  attempting_ = false;
  connected_ = false;
  esp_wifi_disconnect();
}

void EspPlatform::on_wifi_event(void* self, const char* base, std::int32_t id, void* data) {
  auto& platform = *static_cast<EspPlatform*>(self);
  if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
    const auto* got = static_cast<const ip_event_got_ip_t*>(data);
    fw::WifiEvent event;
    event.kind = fw::WifiEvent::Kind::connected;
    char ip[16];
    esp_ip4addr_ntoa(&got->ip_info.ip, ip, sizeof ip);
    event.ip = ip;
    wifi_ap_record_t ap = {};
    if (esp_wifi_sta_get_ap_info(&ap) == ESP_OK) event.rssi_dbm = ap.rssi;
    platform.attempting_ = false;
    platform.connected_ = true;
    platform.queue_event(event);
    return;
  }
  if (base != WIFI_EVENT || id != WIFI_EVENT_STA_DISCONNECTED) return;
  const auto* info = static_cast<const wifi_event_sta_disconnected_t*>(data);
  if (platform.disconnect_requested_.exchange(false)) return;  // the core cancelled it: no event (platform.hpp)
  fw::WifiEvent event;
  if (platform.connected_.exchange(false)) {
    event.kind = fw::WifiEvent::Kind::disconnected;
  } else if (platform.attempting_.exchange(false)) {
    event.kind = fw::WifiEvent::Kind::failed;
    event.failure = failure_of(info->reason);
  } else {
    return;
  }
  platform.queue_event(event);
}

void EspPlatform::queue_event(const fw::WifiEvent& event) {
  QueuedEvent queued = {};
  queued.kind = event.kind;
  queued.failure = event.failure;
  queued.rssi_dbm = event.rssi_dbm;
  std::strncpy(queued.ip, event.ip.c_str(), sizeof queued.ip - 1);
  xQueueSend(events_, &queued, 0);
}

std::optional<fw::WifiEvent> EspPlatform::next_wifi_event() {
  QueuedEvent queued;
  if (xQueueReceive(events_, &queued, 0) != pdTRUE) return std::nullopt;
  fw::WifiEvent event;
  event.kind = queued.kind;
  event.failure = queued.failure;
  event.ip = queued.ip;
  event.rssi_dbm = queued.rssi_dbm;
  return event;
}
