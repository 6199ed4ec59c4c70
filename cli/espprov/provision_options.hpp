// espprov provision's flags and their translation into workflow::ProvisionOptions (checked before any device is
// touched: a bad flag never leaves a half-provisioned board).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

#include "port_filters.hpp"
#include "mqtt_options.hpp"
#include "provision/workflow.hpp"

namespace espprov {

struct ProvisionCliOptions {
  std::vector<std::string> ports;
  std::vector<std::string> port_globs;
  std::size_t jobs = 0;
  bool loop = false;
  std::string ledger;
  std::string station;  // --station: recorded with every step (default: the host name)
  std::string save;
  bool trace = false;
  bool dry_run = false;  // check everything, print the plan, touch no board
  // serial / loader
  unsigned baud = 0;          // -b/--baud, else $ESPBAUD, else 921600: the flash step's rate
  unsigned initial_baud = 0;  // --initial-baud, else 115200
  unsigned flash_baud = 0;    // --flash-baud: deprecated alias of --baud
  std::string chip = "auto";  // -c/--chip
  std::vector<std::pair<std::string, std::string>> flash;  // --flash OFFSET FILE (repeatable)
  std::string before = "default-reset";
  std::string after = "hard-reset";
  bool no_compress = false;
  double ready_timeout_s = 10;
  // identity
  std::string uuid, psk, psk_file, scheme = "seed";
  // CA
  std::string ca_url, token_file, ca_bundle, ca_cert, key_source = "station";
  bool allow_insecure_http = false, trust_ca_response = false, accept_new_ca = false;
  bool no_ca = false;  // an explicit choice: provision without a certificate
  int ca_retries = 3;
  double ca_timeout_s = 30;
  bool no_pop = false;
  // NVS
  std::string nvs_offset = "0x3F0000", nvs_size = "0x10000", nvs_namespace = "provision", nvs_keys;
  int nvs_version = 2;
  // WiFi
  std::string ssid, password, password_file;
  bool open = false, no_wifi = false, wifi_only = false;
  std::string wifi_protocol = "at";  // at | improv | auto (provision/wifi_transport.hpp)
  double connect_timeout_s = 20;
  // stations: --reset-sequence, --connect-attempts, --ports auto filters
  std::string reset_sequence;
  int connect_attempts = 7;
  double erase_timeout_s = 0, first_packet_timeout_s = 0;
  UsbFilterFlags usb;
  // MQTT connectivity step
  MqttCliOptions mqtt;
};

void add_provision_options(CLI::App& sub, ProvisionCliOptions& options);
provision::workflow::ProvisionOptions to_provision_options(const ProvisionCliOptions& options);

}  // namespace espprov
