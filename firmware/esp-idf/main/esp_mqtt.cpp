#include "esp_mqtt.hpp"

namespace {

// esp-tls error codes (components/esp-tls/esp_tls_errors.h, identical in v5.1.4 and v5.3.1): 0x8001..0x8008 are
// socket-level (resolve, connect, timeout, closed), 0x8010 and up the TLS library's (certificate and key parsing,
// handshake). Written out because that header pulls in mbedTLS's.
constexpr esp_err_t kEspTlsBase = 0x8000;
constexpr esp_err_t kEspTlsTcpClosedFin = kEspTlsBase + 0x08;
constexpr esp_err_t kEspTlsFirstLibraryError = kEspTlsBase + 0x10;

class Locked {
 public:
  explicit Locked(SemaphoreHandle_t lock) : lock_(lock) { xSemaphoreTake(lock_, portMAX_DELAY); }
  ~Locked() { xSemaphoreGive(lock_); }

 private:
  SemaphoreHandle_t lock_;
};

}  // namespace

EspMqtt::EspMqtt() : lock_(xSemaphoreCreateMutex()) {}

EspMqtt::~EspMqtt() { disconnect(); }

void EspMqtt::connect(const fw::MqttConnectConfig& config) {
  disconnect();
  config_ = config;
  esp_mqtt_client_config_t settings = {};
  settings.broker.address.uri = config_.uri.c_str();
  settings.broker.verification.certificate = config_.ca_cert_pem.c_str();  // PEM: length from the NUL
  settings.credentials.client_id = config_.client_id.c_str();
  settings.credentials.authentication.certificate = config_.cert_pem.c_str();
  settings.credentials.authentication.key = config_.key_pem.c_str();
  settings.session.keepalive = config_.keepalive_s;
  settings.network.disable_auto_reconnect = true;  // the core decides when to retry, and reports each failure
  connected_ = false;
  reported_ = false;
  client_ = esp_mqtt_client_init(&settings);
  if (client_ == nullptr) {
    queue(fw::mqtt_failed(fw::MqttFailure::other, "esp_mqtt_client_init failed"));
    return;
  }
  esp_mqtt_client_register_event(client_, static_cast<esp_mqtt_event_id_t>(ESP_EVENT_ANY_ID), &EspMqtt::on_event,
                                 this);
  if (esp_mqtt_client_start(client_) != ESP_OK) {
    esp_mqtt_client_destroy(client_);
    client_ = nullptr;
    queue(fw::mqtt_failed(fw::MqttFailure::other, "esp_mqtt_client_start failed"));
  }
}

// Called from app_main's loop only, never from esp-mqtt's task (esp_mqtt_client_stop must not run there).
void EspMqtt::disconnect() {
  if (client_ == nullptr) return;
  esp_mqtt_client_stop(client_);
  esp_mqtt_client_destroy(client_);
  client_ = nullptr;
  Locked guard(lock_);
  events_.clear();  // a cancelled connection produces no event
}

int EspMqtt::publish(const std::string& topic, const std::string& payload, bool retain) {
  if (client_ == nullptr) return 0;
  const int id = esp_mqtt_client_publish(client_, topic.c_str(), payload.data(), static_cast<int>(payload.size()),
                                         1, retain ? 1 : 0);
  return id > 0 ? id : 0;
}

bool EspMqtt::subscribe(const std::string& topic) {
  return client_ != nullptr && esp_mqtt_client_subscribe(client_, topic.c_str(), 1) >= 0;
}

std::optional<fw::MqttEvent> EspMqtt::next_event() {
  Locked guard(lock_);
  if (events_.empty()) return std::nullopt;
  fw::MqttEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

void EspMqtt::queue(fw::MqttEvent event) {
  Locked guard(lock_);
  events_.push_back(std::move(event));
}

void EspMqtt::on_event(void* self, esp_event_base_t, std::int32_t, void* data) {
  static_cast<EspMqtt*>(self)->handle(*static_cast<esp_mqtt_event_handle_t>(data));
}

namespace {

// esp-mqtt's error event as the contract's reason: the broker's CONNACK refusal is auth; a transport error with an
// mbedTLS code (or a TLS handshake or certificate error from esp-tls) is tls; any other transport error is network.
fw::MqttFailure failure_of(const esp_mqtt_error_codes_t& error) {
  if (error.error_type == MQTT_ERROR_TYPE_CONNECTION_REFUSED) {
    return error.connect_return_code == MQTT_CONNECTION_REFUSE_BAD_USERNAME ||
                   error.connect_return_code == MQTT_CONNECTION_REFUSE_NOT_AUTHORIZED ||
                   error.connect_return_code == MQTT_CONNECTION_REFUSE_ID_REJECTED
               ? fw::MqttFailure::auth
               : fw::MqttFailure::other;
  }
  if (error.error_type == MQTT_ERROR_TYPE_TCP_TRANSPORT) {
    const esp_err_t tls = error.esp_tls_last_esp_err;
    if (error.esp_tls_stack_err != 0 || tls >= kEspTlsFirstLibraryError || tls == kEspTlsTcpClosedFin) {
      // A broker that refuses the client certificate closes the connection during or right after the handshake.
      return fw::MqttFailure::tls;
    }
    return fw::MqttFailure::network;
  }
  return fw::MqttFailure::other;
}

}  // namespace

// esp-mqtt's task.
void EspMqtt::handle(const esp_mqtt_event_t& event) {
  switch (event.event_id) {
    case MQTT_EVENT_CONNECTED:
      connected_ = true;
      queue(fw::mqtt_event(fw::MqttEvent::Kind::connected));
      break;
    case MQTT_EVENT_ERROR:
      if (!connected_ && !reported_ && event.error_handle != nullptr) {
        reported_ = true;
        queue(fw::mqtt_failed(failure_of(*event.error_handle), "esp-mqtt error event"));
      }
      break;
    case MQTT_EVENT_DISCONNECTED:
      if (connected_) {
        connected_ = false;
        fw::MqttEvent lost;
        lost.kind = fw::MqttEvent::Kind::disconnected;
        lost.detail = "connection lost";
        queue(std::move(lost));
      } else if (!reported_) {
        reported_ = true;
        queue(fw::mqtt_failed(fw::MqttFailure::network, "disconnected before CONNACK"));
      }
      break;
    case MQTT_EVENT_PUBLISHED: {
      // MQTT 3.1.1: a broker's ACL refusal is silent (no reason code), so every PUBACK counts as published.
      fw::MqttEvent published;
      published.kind = fw::MqttEvent::Kind::published;
      published.message_id = event.msg_id;
      queue(std::move(published));
      break;
    }
    case MQTT_EVENT_DATA:
      // Commands are small: a message split over several events (larger than the buffer) is not one.
      if (event.current_data_offset == 0 && event.data_len == event.total_data_len && event.topic != nullptr) {
        fw::MqttEvent message;
        message.kind = fw::MqttEvent::Kind::message;
        message.topic.assign(event.topic, static_cast<std::size_t>(event.topic_len));
        message.payload.assign(event.data, static_cast<std::size_t>(event.data_len));
        queue(std::move(message));
      }
      break;
    default:
      break;
  }
}
