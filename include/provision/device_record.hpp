// The device record's schema, in one place: every field a step can add, its JSON name, its type, whether it is a
// secret, which steps set it and what it means. The row order is the record's field order in JSON and the CSV
// column order. README.md's "The device record" table lists the same fields (a unit test holds them together);
// is_secret_field() and csv_columns() (provision/record.hpp) are generated from this table.
//
// Conventions: flash addresses and region sizes are hex strings ("0x3F0000", "0x10000"), as the flags and
// partition tables write them; counts are numbers. `verified` is only the identity check (AT+INFO? reports the
// flashed uuid and MAC); the flash step's MD5 check is `flash_verified`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provision/record.hpp"

namespace provision {

// What a field's JSON value is.
enum class FieldKind { boolean, integer, number, text, text_list, object, error };

// The error object every failed record carries: {"code","message","field"} (ErrorCode's name).
struct RecordError {
  std::string code;
  std::string message;
  std::string field;
  bool operator==(const RecordError&) const = default;
};

template <FieldKind>
struct FieldValue;
template <> struct FieldValue<FieldKind::boolean> { using type = bool; };
template <> struct FieldValue<FieldKind::integer> { using type = std::int64_t; };
template <> struct FieldValue<FieldKind::number> { using type = double; };
template <> struct FieldValue<FieldKind::text> { using type = std::string; };
template <> struct FieldValue<FieldKind::text_list> { using type = std::vector<std::string>; };
template <> struct FieldValue<FieldKind::object> { using type = Record; };
template <> struct FieldValue<FieldKind::error> { using type = RecordError; };

// X(name, kind, secret, set by (steps, comma-separated), meaning). The one list of record fields.
#define PROVISION_DEVICE_RECORD_FIELDS(X)                                                                            \
  X(ok, boolean, false, "every step", "`true`, or `false` with `error`")                                            \
  X(port, text, false, "chip, provision", "the serial port the board was on")                                      \
  X(chip, text, false, "chip, provision", "`esp32c3`, ...")                                                          \
  X(mac, text, false, "mac, provision", "`A0:B1:C2:D3:E4:F5`")                                                       \
  X(mac_hex, text, false, "mac, provision", "`A0B1C2D3E4F5`")                                                        \
  X(uuid, text, false, "uuid, provision", "lower-case UUID")                                                         \
  X(uuid_scheme, text, false, "uuid, provision", "`seed`, `rfc9562` or `given`")                                     \
  X(psk, text, true, "psk, provision", "64 lower-case hex characters")                                               \
  X(features, text_list, false, "chip, provision", "the chip's static feature list")                                 \
  X(flash_size, text, false, "chip, provision", "the chip's flash capacity, `4MB`")                                  \
  X(secure_download, boolean, false, "chip, flash, provision", "secure download mode (GET_SECURITY_INFO)")           \
  X(flash_encryption, boolean, false, "chip, flash, provision", "flash encryption is on")                            \
  X(security_flags, text_list, false, "chip, flash, provision", "GET_SECURITY_INFO's flags by name")                 \
  X(eui64, text, false, "chip, mac, flash", "ESP32-C6 / ESP32-H2: OUI, MAC_EXT (`FF:FE`), NIC")                      \
  X(certificate, text, false, "ca-register, provision", "the device certificate, PEM")                              \
  X(ca_cert, text, false, "ca-register, provision", "the CA certificate flashed to the device, PEM")                 \
  X(device_key, text, true, "ca-register, provision", "the device key (PKCS#8 PEM) when the station made it")        \
  X(expiry, text, false, "ca-register, provision", "the certificate's end of validity, RFC 3339")                   \
  X(cert_serial, text, false, "ca-register, provision", "the certificate's serial number")                          \
  X(cert_fingerprint, text, false, "ca-register, provision", "SHA-256 of the certificate")                          \
  X(nvs_namespace, text, false, "nvs-build", "the credentials' NVS namespace")                                       \
  X(nvs_offset, text, false, "provision", "where the credentials partition is flashed, `0x3F0000`")                 \
  X(nvs_size, text, false, "nvs-build, nvs-dump, provision", "the credentials image's size, `0x10000`")             \
  X(nvs_version, integer, false, "nvs-build", "NVS format 1 or 2")                                                   \
  X(nvs_encrypted, boolean, false, "nvs-build, provision", "the image is NVS-encrypted")                             \
  X(nvs_md5, text, false, "nvs-build, provision", "MD5 of the credentials image")                                   \
  X(nvs_file, text, false, "nvs-build", "the file the image was written to")                                        \
  X(nvs_keys_file, text, false, "nvs-build", "the NVS key partition file it generated")                             \
  X(offset, text, false, "flash, read-flash, erase-region, erase-flash", "the flash region's start, `0x3F0000`")       \
  X(size, text, false, "flash, read-flash, erase-region, erase-flash", "the flash region's size, `0x10000`")           \
  X(md5, text, false, "flash, read-flash", "MD5 of the region's data")                                               \
  X(compressed, boolean, false, "flash", "written with zlib (FLASH_DEFL_*)")                                         \
  X(written, boolean, false, "flash", "the data was written (not skipped)")                                         \
  X(flash_skipped, boolean, false, "flash, provision", "the region already held the image")                         \
  X(flash_verified, boolean, false, "flash, provision", "the ROM's MD5 of the region matched the image")            \
  X(sectors_total, integer, false, "flash, provision", "4 KiB sectors of the region")                               \
  X(sectors_written, integer, false, "flash, provision", "of them, written (the others already held the data)")     \
  X(bytes_on_wire, integer, false, "flash, provision", "bytes both ways on the serial line")                        \
  X(resends, integer, false, "flash, provision", "requests sent again because the line mangled them")               \
  X(wifi_ssid, text, false, "wifi, provision", "the network")                                                        \
  X(wifi_password, text, true, "wifi, provision", "its passphrase")                                                  \
  X(ip, text, false, "wifi, provision", "the device's address")                                                      \
  X(rssi, integer, false, "wifi, provision", "signal strength, dBm")                                                 \
  X(fw_version, text, false, "info, provision", "the firmware's version")                                           \
  X(verified, boolean, false, "provision", "`AT+INFO?` confirmed the flashed uuid and MAC")                           \
  X(mqtt_url, text, false, "nvs-build, provision", "the broker URL written into the image")                         \
  X(mqtt, object, false, "mqtt-check, provision", "`connected`, `topic`, `seconds` of the connectivity step")       \
  X(pop, text, true, "pop", "the device's proof of possession")                                                      \
  X(pop_registered, boolean, false, "provision", "the PoP is registered with the CA for claiming")                   \
  X(resumed, boolean, false, "provision", "resumed from the ledger")                                                 \
  X(attempts, integer, false, "provision", "runs so far for this board")                                            \
  X(seconds, number, false, "flash, provision", "seconds in all")                                                    \
  X(timings, object, false, "provision", "seconds per step")                                                         \
  X(failed_step, text, false, "provision", "where a failed run stopped")                                            \
  X(error, error, false, "every step", "`code`, `message`, `field` of a failure")

// One row of the table, for code that walks the schema (CSV columns, secrets, docs checks).
struct RecordField {
  std::string_view name;
  FieldKind kind;
  bool secret;
  std::string_view set_by;  // step names, comma-separated; "every step" for ok and error
  std::string_view meaning;
};

#define PROVISION_RECORD_FIELD_ROW(name, kind, secret, set_by, meaning) \
  RecordField{#name, FieldKind::kind, secret, set_by, meaning},
inline constexpr RecordField kRecordFields[] = {PROVISION_DEVICE_RECORD_FIELDS(PROVISION_RECORD_FIELD_ROW)};
#undef PROVISION_RECORD_FIELD_ROW

// Names that are secrets wherever they appear although they are not device-record fields: keys inside nested
// values and NVS key names (nvs-dump masks them).
inline constexpr std::string_view kOtherSecretNames[] = {"password", "private_key", "nvs_keys", "token"};

// True when `step` is one of the field's setters (or the field is set by every step).
bool set_by_step(const RecordField& field, std::string_view step);

// The CSV columns of records `step` prints: the fields it sets in table order, `error` as error_code,
// error_field, error_message.
std::vector<std::string> step_csv_columns(std::string_view step);

// The typed record. A step sets the members it produces; members left empty are not in the JSON. `other` keeps
// fields this table does not know (another step's, a newer version's) exactly as they came, in their order, so a
// record passes through a step unchanged.
struct DeviceRecord {
#define PROVISION_RECORD_MEMBER(name, kind, secret, set_by, meaning) \
  std::optional<FieldValue<FieldKind::kind>::type> name;
  PROVISION_DEVICE_RECORD_FIELDS(PROVISION_RECORD_MEMBER)
#undef PROVISION_RECORD_MEMBER
  Record other = Record::object();

  // Adds or replaces the fields of `fields` (a step's result, or a wire record): known names into their members
  // (checked: a value of the wrong type is Error(bad_input) naming the field), the rest into `other`.
  void merge(const Record& fields);
};

// The JSON form: the table's fields in table order, then `other` in its order.
Record to_json(const DeviceRecord& record);
// The typed form of a wire record; unknown fields go to `other`. Throws Error(bad_input) naming a field whose value
// has the wrong type.
DeviceRecord device_record_from_json(const Record& json);

}  // namespace provision
