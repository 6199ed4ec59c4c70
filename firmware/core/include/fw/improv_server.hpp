// Improv Wi-Fi serial on the AT console (PROTOCOL.md §6): a thin adapter over ProvisioningService, so a network
// provisioned through Improv is a saved network like one set by AT+WIFI_CONNECT.
#pragma once

#include <string>
#include <string_view>

#include "fw/firmware.hpp"
#include "fw/improv_codec.hpp"
#include "fw/platform.hpp"
#include "fw/provisioning_service.hpp"

namespace fw {

class ImprovServer : public WifiListener {
 public:
  ImprovServer(Platform& platform, ProvisioningService& service, FirmwareInfo info);

  void handle_frame(std::string_view bytes);

  void on_wifi_connected(const std::string& ip, int rssi_dbm) override;
  void on_wifi_failed(WifiFailure failure) override;
  void on_wifi_disconnected() override;

 private:
  void handle_rpc(const improv::Rpc& rpc);
  void provision(const std::string& data);
  void send_redirect(improv::Command command);
  improv::State current_state() const;
  void send_state(improv::State state);
  void send_error(improv::Error error);
  void send_result(improv::Command command, const std::vector<std::string>& strings);
  void send(improv::FrameType type, const std::string& payload);

  Platform& platform_;
  ProvisioningService& service_;
  FirmwareInfo info_;
  bool client_seen_ = false;   // state changes are pushed only once an Improv client has spoken
  bool provisioning_ = false;  // an attempt started by Improv is running
};

// "esp32c3" -> "ESP32-C3", the chip family names Improv clients (esp-web-tools) show.
std::string improv_chip_family(const std::string& chip);

}  // namespace fw
