// fw::MqttClient on ESP-IDF: esp-mqtt (`esp_mqtt_client_*`) over TLS with the device's certificate and key from the
// credentials partition, the broker verified against its CA certificate. esp-mqtt runs its own task; its events
// are queued here and handed to the core from app_main's loop, like the radio's.
#pragma once

#include <deque>
#include <optional>
#include <string>

#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "fw/mqtt_client.hpp"
#include "mqtt_client.h"

class EspMqtt : public fw::MqttClient {
 public:
  EspMqtt();
  ~EspMqtt() override;

  void connect(const fw::MqttConnectConfig& config) override;
  void disconnect() override;
  int publish(const std::string& topic, const std::string& payload, bool retain) override;
  bool subscribe(const std::string& topic) override;

  std::optional<fw::MqttEvent> next_event();  // from app_main's loop

 private:
  static void on_event(void* self, esp_event_base_t base, std::int32_t id, void* data);
  void handle(const esp_mqtt_event_t& event);
  void queue(fw::MqttEvent event);

  esp_mqtt_client_handle_t client_ = nullptr;
  // esp-mqtt keeps pointers to the configuration's strings while the client lives.
  fw::MqttConnectConfig config_;
  SemaphoreHandle_t lock_;  // guards events_ (esp-mqtt's task and the main loop)
  std::deque<fw::MqttEvent> events_;
  bool connected_ = false;  // esp-mqtt's task only
  bool reported_ = false;   // esp-mqtt's task only: this attempt's failure was queued
};
