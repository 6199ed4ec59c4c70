// One error type for everything a user can see fail. Each ErrorCode has a stable snake_case name (the JSON
// "error.code") and its own process exit code; the table lives in lib/core/error.cpp and in README.md.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace provision {

enum class ErrorCode {
  // generic
  usage,              // bad command line
  bad_input,          // a value is malformed or out of range (field names it)
  io,                 // a local file could not be read or written
  partial_failure,    // batch: some devices/rows failed, the others succeeded
  record_mismatch,    // an input file differs from the record it came with (digest, size)
  internal,           // a bug: please report
  // serial transport and ROM loader
  port_unavailable,   // the serial port cannot be opened
  device_timeout,     // the device did not answer in time
  protocol,           // the device answered with bytes we cannot interpret
  rom_error,          // the ROM loader returned an error status
  chip_unknown,       // detection value matches no known chip
  flash_verify,       // MD5 of flash differs from the data written
  mac_invalid,        // the MAC read or given is no device identity (zero, all ones, multicast, bad eFuse CRC)
  wrong_board,        // the board on the port is not the one the record names (its MAC differs)
  port_gone,          // the serial port disappeared during the run (board unplugged)
  secure_download,    // the chip is in secure download mode and refuses the operation
  wrong_mode,         // the board runs its application where the ROM loader was needed, or the reverse
  // NVS
  nvs_limit,          // content exceeds an NVS limit (name length, string size, partition size)
  nvs_invalid,        // an image failed validation (CRC, structure)
  flash_encrypted,    // flash encryption is on: the write would leave a partition the firmware cannot read
  // certificate authority
  ca_unreachable,     // connect/TLS/timeout talking to the CA
  ca_tls,             // TLS handshake or peer verification failed
  ca_insecure,        // plain http refused without --allow-insecure-http
  ca_unauthorized,    // 401/403
  ca_conflict,        // 409: uuid registered with different psk/mac
  ca_rejected,        // other 4xx
  ca_server,          // 5xx after retries
  ca_bad_response,    // body not the contract
  cert_invalid,       // certificate does not parse
  cert_chain,         // certificate does not chain to ca_cert
  cert_key_mismatch,  // certificate key differs from the CSR key
  cert_name_mismatch, // CN/SAN does not name the uuid
  cert_expired,       // certificate not valid now
  ca_untrusted,       // the CA's certificate is not the one the station trusts (--ca-cert or the ledger's pin)
  // wifi / firmware console
  firmware_timeout,   // the firmware did not become ready
  firmware_error,     // the firmware answered ERROR:<code>
  wifi_wrong_password,
  wifi_ap_not_found,
  wifi_timeout,
  wifi_failed,        // any other connection failure
  wifi_list_full,     // saved network cap (8) reached
  identity_mismatch,  // the device reports a UUID other than the one flashed
  // workflow
  ledger,             // ledger database problem
  interrupted,        // stopped by a signal; the ledger records where
  ledger_busy,        // another station holds this board in the shared ledger
  database_unavailable,  // the database (ledger or CA registry) cannot be reached
  // device connectivity (MQTT with the device's own identity)
  mqtt_tls,           // the board's TLS session with the broker failed
  mqtt_auth,          // the broker refused the board's identity or topic
  mqtt_network,       // the board could not reach the broker
  mqtt_timeout,       // no connection or birth message within the timeout
};

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;  // stable snake_case, JSON error.code
  int exit_code;          // process exit code, unique per code
  std::string_view summary;
};

const ErrorInfo& error_info(ErrorCode code);
std::string_view error_name(ErrorCode code);
int exit_code_of(ErrorCode code);
// All codes, in table order (for docs and tests).
const ErrorInfo* error_table_begin();
const ErrorInfo* error_table_end();

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::string field = {})
      : std::runtime_error(std::move(message)), code_(code), field_(std::move(field)) {}
  ErrorCode code() const noexcept { return code_; }
  const std::string& field() const noexcept { return field_; }

 private:
  ErrorCode code_;
  std::string field_;
};

}  // namespace provision
