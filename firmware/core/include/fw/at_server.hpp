// The AT command server of the console (PROTOCOL.md §5): one line in, data lines and one final line out.
// A thin adapter over ProvisioningService.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fw/firmware.hpp"
#include "fw/platform.hpp"
#include "fw/provisioning_service.hpp"

namespace fw {

class AtServer : public WifiListener {
 public:
  AtServer(Platform& platform, ProvisioningService& service, FirmwareInfo info);

  void handle_line(std::string_view line);
  void report_line_too_long();
  // Commands another part of the core answers (AT+MQTT?): tried for a name the table lacks; an extension returns
  // false for a name it does not know, and otherwise writes its own data and final lines.
  using Extension = std::function<bool(const std::string& name, const std::vector<std::string>& args)>;
  void add_extension(Extension extension) { extensions_.push_back(std::move(extension)); }

  void on_wifi_connected(const std::string& ip, int rssi_dbm) override;
  void on_wifi_failed(WifiFailure failure) override;
  void on_wifi_disconnected() override;

 private:
  struct Command {
    const char* name;  // after "AT+", with '?' for queries
    std::size_t min_args;
    std::size_t max_args;
    void (AtServer::*run)(const std::vector<std::string>& args);
  };
  static const std::vector<Command>& commands();

  void info(const std::vector<std::string>& args);
  void wifi_ssid(const std::vector<std::string>& args);
  void wifi_password(const std::vector<std::string>& args);
  void wifi_connect(const std::vector<std::string>& args);
  void wifi_status(const std::vector<std::string>& args);
  void wifi_scan(const std::vector<std::string>& args);
  void wifi_list(const std::vector<std::string>& args);
  void wifi_add(const std::vector<std::string>& args);
  void wifi_del(const std::vector<std::string>& args);
  void wifi_prio(const std::vector<std::string>& args);
  void wifi_select(const std::vector<std::string>& args);
  void pop(const std::vector<std::string>& args);
  void factory_reset(const std::vector<std::string>& args);
  void reboot(const std::vector<std::string>& args);
  void bootloader(const std::vector<std::string>& args);

  void finish(Outcome outcome);
  void write_line(const std::string& line);

  Platform& platform_;
  ProvisioningService& service_;
  FirmwareInfo info_;
  std::vector<Extension> extensions_;
};

}  // namespace fw
