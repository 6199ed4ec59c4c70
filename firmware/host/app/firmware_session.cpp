// App mode: fw::Platform for a simulated board, and the session that runs fw::Firmware on it.
#include <openssl/rand.h>

#include "app/mosquitto_client.hpp"
#include "app/simulated_radio.hpp"
#include "app_session.hpp"
#include "fw/firmware.hpp"
#include "fw/platform.hpp"

namespace sim {
namespace {

class HostPlatform : public fw::Platform {
 public:
  HostPlatform(AppEnvironment& environment, SimulatedRadio& radio, MosquittoClient& mqtt,
               Clock::time_point boot_time)
      : env_(environment), radio_(radio), mqtt_(mqtt), boot_time_(boot_time) {}

  void console_write(std::string_view bytes) override { env_.console_write(bytes); }

  bool flash_read(std::uint32_t address, void* out, std::size_t length) override {
    return env_.flash.read(address, out, length);
  }
  bool flash_write(std::uint32_t address, const void* data, std::size_t length) override {
    return env_.flash.program(address, data, length);
  }
  bool flash_erase(std::uint32_t address, std::size_t length) override { return env_.flash.erase(address, length); }
  std::uint32_t flash_size() const override { return env_.flash.size(); }

  void random_bytes(std::uint8_t* out, std::size_t length) override {
    RAND_bytes(out, static_cast<int>(length));
  }

  std::uint64_t now_ms() override {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - boot_time_).count());
  }

  void restart(fw::BootMode mode) override { env_.restart(mode == fw::BootMode::download); }

  std::string chip_name() const override { return std::string(env_.chip.name); }
  std::array<std::uint8_t, 6> factory_mac() const override { return env_.mac; }

  std::vector<fw::ScanResult> wifi_scan() override { return radio_.scan(); }
  void wifi_connect(const std::string& ssid, const std::string& password) override {
    radio_.connect(ssid, password, Clock::now());
  }
  void wifi_disconnect() override { radio_.disconnect(Clock::now()); }

  fw::MqttClient* mqtt_client() override { return &mqtt_; }

 private:
  AppEnvironment& env_;
  SimulatedRadio& radio_;
  MosquittoClient& mqtt_;
  Clock::time_point boot_time_;
};

class FirmwareSession : public AppSession {
 public:
  FirmwareSession(AppEnvironment environment, Clock::time_point now)
      : env_(std::move(environment)),
        radio_(env_.access_points, env_.device_index, env_.realistic_timing),
        platform_(env_, radio_, mqtt_, now),
        firmware_(platform_) {
    firmware_.boot();
  }

  void on_console_bytes(std::string_view bytes, Clock::time_point) override { firmware_.on_console_bytes(bytes); }

  void poll(Clock::time_point now) override {
    while (auto event = radio_.take_due_event(now)) firmware_.on_wifi_event(*event);
    mqtt_.loop();
    while (auto event = mqtt_.take_event()) firmware_.on_mqtt_event(*event);
    firmware_.poll();
  }

  // The broker's socket is not among the simulator's poll descriptors: while a connection is open the session
  // looks at it every 20 ms; otherwise every 500 ms, for the core's MQTT timers (connect timeout, retry).
  std::optional<Clock::time_point> next_wakeup() const override {
    auto wake = radio_.next_event_time();
    const auto soon = Clock::now() + std::chrono::milliseconds(mqtt_.active() ? 20 : 500);
    return wake ? std::min(*wake, soon) : soon;
  }

 private:
  AppEnvironment env_;
  SimulatedRadio radio_;
  MosquittoClient mqtt_;  // before the platform and the firmware, which use it
  HostPlatform platform_;
  fw::Firmware firmware_;
};

}  // namespace

std::unique_ptr<AppSession> start_app_session(AppEnvironment environment, Clock::time_point now) {
  return std::make_unique<FirmwareSession>(std::move(environment), now);
}

}  // namespace sim
