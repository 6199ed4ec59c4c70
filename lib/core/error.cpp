#include "provision/error.hpp"

#include <array>

namespace provision {
namespace {

// Exit codes are part of the CLI contract (README "Exit codes"): never renumber, only append.
constexpr std::array kErrors{
    ErrorInfo{ErrorCode::usage, "usage", 2, "bad command line"},
    ErrorInfo{ErrorCode::bad_input, "bad_input", 3, "a value is malformed or out of range"},
    ErrorInfo{ErrorCode::io, "io", 4, "a local file could not be read or written"},
    ErrorInfo{ErrorCode::partial_failure, "partial_failure", 5, "some devices or rows failed"},
    ErrorInfo{ErrorCode::record_mismatch, "record_mismatch", 6, "an input file differs from its record"},
    ErrorInfo{ErrorCode::port_unavailable, "port_unavailable", 10, "the serial port cannot be opened"},
    ErrorInfo{ErrorCode::device_timeout, "device_timeout", 11, "the device did not answer in time"},
    ErrorInfo{ErrorCode::protocol, "protocol", 12, "the device sent bytes that break the protocol"},
    ErrorInfo{ErrorCode::rom_error, "rom_error", 13, "the ROM loader reported an error"},
    ErrorInfo{ErrorCode::chip_unknown, "chip_unknown", 14, "the chip is not one espprov knows"},
    ErrorInfo{ErrorCode::flash_verify, "flash_verify", 15, "flash content differs from what was written"},
    ErrorInfo{ErrorCode::mac_invalid, "mac_invalid", 16, "the MAC is not a usable device identity"},
    ErrorInfo{ErrorCode::wrong_board, "wrong_board", 17, "the board is not the one the record names"},
    ErrorInfo{ErrorCode::port_gone, "port_gone", 18, "the serial port disappeared during the run"},
    ErrorInfo{ErrorCode::secure_download, "secure_download", 19, "secure download mode refuses the operation"},
    ErrorInfo{ErrorCode::nvs_limit, "nvs_limit", 20, "content exceeds an NVS limit"},
    ErrorInfo{ErrorCode::nvs_invalid, "nvs_invalid", 21, "the NVS image is damaged or invalid"},
    ErrorInfo{ErrorCode::flash_encrypted, "flash_encrypted", 22, "flash encryption is on; the partition would be unreadable"},
    ErrorInfo{ErrorCode::wrong_mode, "wrong_mode", 23, "the board is in the other mode (application vs ROM loader)"},
    ErrorInfo{ErrorCode::ca_unreachable, "ca_unreachable", 30, "the CA cannot be reached"},
    ErrorInfo{ErrorCode::ca_tls, "ca_tls", 31, "TLS with the CA failed"},
    ErrorInfo{ErrorCode::ca_insecure, "ca_insecure", 32, "plain http refused without --allow-insecure-http"},
    ErrorInfo{ErrorCode::ca_unauthorized, "ca_unauthorized", 33, "the CA refused the credentials"},
    ErrorInfo{ErrorCode::ca_conflict, "ca_conflict", 34, "the uuid is registered with another psk or mac"},
    ErrorInfo{ErrorCode::ca_rejected, "ca_rejected", 35, "the CA rejected the request"},
    ErrorInfo{ErrorCode::ca_server, "ca_server", 36, "the CA failed (5xx) after retries"},
    ErrorInfo{ErrorCode::ca_bad_response, "ca_bad_response", 37, "the CA's answer breaks the contract"},
    ErrorInfo{ErrorCode::cert_invalid, "cert_invalid", 38, "the certificate does not parse"},
    ErrorInfo{ErrorCode::cert_chain, "cert_chain", 39, "the certificate does not chain to ca_cert"},
    ErrorInfo{ErrorCode::cert_key_mismatch, "cert_key_mismatch", 40, "the certificate key is not the CSR key"},
    ErrorInfo{ErrorCode::cert_name_mismatch, "cert_name_mismatch", 41, "the certificate does not name the uuid"},
    ErrorInfo{ErrorCode::cert_expired, "cert_expired", 42, "the certificate is not valid now"},
    ErrorInfo{ErrorCode::ca_untrusted, "ca_untrusted", 43, "the CA's certificate is not the trusted one"},
    ErrorInfo{ErrorCode::firmware_timeout, "firmware_timeout", 50, "the firmware did not become ready"},
    ErrorInfo{ErrorCode::firmware_error, "firmware_error", 51, "the firmware refused a command"},
    ErrorInfo{ErrorCode::wifi_wrong_password, "wifi_wrong_password", 52, "WiFi: wrong password"},
    ErrorInfo{ErrorCode::wifi_ap_not_found, "wifi_ap_not_found", 53, "WiFi: access point not found"},
    ErrorInfo{ErrorCode::wifi_timeout, "wifi_timeout", 54, "WiFi: no connection in time"},
    ErrorInfo{ErrorCode::wifi_failed, "wifi_failed", 55, "WiFi: connection failed"},
    ErrorInfo{ErrorCode::wifi_list_full, "wifi_list_full", 56, "WiFi: 8 networks already saved"},
    ErrorInfo{ErrorCode::identity_mismatch, "identity_mismatch", 57, "the device reports another identity"},
    ErrorInfo{ErrorCode::ledger, "ledger", 60, "the ledger database failed"},
    ErrorInfo{ErrorCode::interrupted, "interrupted", 61, "stopped by a signal; the ledger records where"},
    ErrorInfo{ErrorCode::ledger_busy, "ledger_busy", 62, "another station holds this board"},
    ErrorInfo{ErrorCode::database_unavailable, "database_unavailable", 63, "the database cannot be reached"},
    ErrorInfo{ErrorCode::mqtt_tls, "mqtt_tls", 80, "MQTT: TLS with the broker failed"},
    ErrorInfo{ErrorCode::mqtt_auth, "mqtt_auth", 81, "MQTT: the broker refused the identity or topic"},
    ErrorInfo{ErrorCode::mqtt_network, "mqtt_network", 82, "MQTT: the broker cannot be reached"},
    ErrorInfo{ErrorCode::mqtt_timeout, "mqtt_timeout", 83, "MQTT: no connection or birth message in time"},
    ErrorInfo{ErrorCode::internal, "internal", 70, "internal error (a bug)"},
};

}  // namespace

const ErrorInfo& error_info(ErrorCode code) {
  for (const auto& info : kErrors) {
    if (info.code == code) return info;
  }
  return kErrors.back();  // internal
}

std::string_view error_name(ErrorCode code) { return error_info(code).name; }
int exit_code_of(ErrorCode code) { return error_info(code).exit_code; }
const ErrorInfo* error_table_begin() { return kErrors.data(); }
const ErrorInfo* error_table_end() { return kErrors.data() + kErrors.size(); }

}  // namespace provision
