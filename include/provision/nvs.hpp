// ESP-IDF NVS partitions: a model of their content, a writer byte-identical to Espressif's nvs_partition_gen
// (format versions 1 and 2), a reader that checks every CRC and names the damage it finds, XTS-AES-256 encryption
// with an nvs_keys partition, and the credentials image of firmware/PROTOCOL.md section 2.
// Everything here is pure: bytes and values in, bytes and values out. Format notes: docs/nvs.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "provision/record.hpp"

namespace provision::nvs {

// ---- Format facts (ESP-IDF components/nvs_flash, "NVS internals") ----
inline constexpr std::size_t kPageSize = 4096;
inline constexpr std::size_t kEntrySize = 32;
inline constexpr std::size_t kEntriesPerPage = 126;
inline constexpr std::size_t kFirstEntryOffset = 64;       // 32-byte header + 32-byte entry-state bitmap
inline constexpr std::size_t kMaxNameLength = 15;          // key and namespace names, NUL excluded
inline constexpr std::size_t kMaxNamespaces = 254;         // index 255 means "any" on the device
inline constexpr std::size_t kMaxStringBytesV2 = 4000;     // including the terminating NUL
inline constexpr std::size_t kMaxStringBytesV1 = 1984;     // including the terminating NUL
inline constexpr std::size_t kMaxBlobBytesV1 = 1984;       // single-page blob
inline constexpr std::size_t kMaxBlobBytesV2 = 508000;     // 127 chunks of 4000 bytes (ESP-IDF's limit)
inline constexpr std::size_t kMinPartitionPages = 3;       // read/write partition: 2 data pages + 1 spare

// CRC32 as NVS uses it: esp_rom_crc32_le(0xFFFFFFFF, ...) = zlib.crc32(data, 0xFFFFFFFF).
// "123456789" -> 0xD202D277; no bytes -> 0xFFFFFFFF.
std::uint32_t crc32(std::span<const std::uint8_t> bytes);

// ---- The model ----
enum class ValueType { u8, i8, u16, i16, u32, i32, u64, i64, string, blob };
std::string_view to_string(ValueType type);  // "u8" ... "string", "blob"
bool is_integer(ValueType type);

// One typed value. Integers keep their two's-complement bits in `bits`; strings and blobs their bytes in `bytes`
// (a string without its terminating NUL: the writer adds it).
struct Value {
  ValueType type = ValueType::u8;
  std::uint64_t bits = 0;
  std::vector<std::uint8_t> bytes;

  static Value integer(ValueType type, std::int64_t value);  // signed types; range is checked by validate
  static Value unsigned_integer(ValueType type, std::uint64_t value);
  static Value string(std::string_view text);
  static Value blob(std::span<const std::uint8_t> data);

  std::int64_t as_signed() const;     // sign-extended from the type's width
  std::uint64_t as_unsigned() const;  // zero-extended
  std::string as_string() const { return {bytes.begin(), bytes.end()}; }
  bool operator==(const Value&) const = default;
};

// The content of a partition in write order. A namespace definition entry is written where the namespace is first
// declared; items follow in the order added. This mirrors a CSV row by row, so an image can be reproduced exactly.
struct Element {
  enum class Kind { namespace_definition, item };
  Kind kind = Kind::item;
  std::string namespace_name;
  std::string key;  // items only
  Value value;      // items only
  bool operator==(const Element&) const = default;
};

class Content {
 public:
  // Declares a namespace (its definition entry goes here); declaring it again does nothing.
  void declare_namespace(std::string_view name);
  // Adds an item, declaring its namespace first when new. Throws Error(nvs_limit) for a key repeated in a namespace.
  void add(std::string_view namespace_name, std::string_view key, Value value);
  const std::vector<Element>& elements() const { return elements_; }
  std::vector<std::string> namespaces() const;  // in declaration order (index = position + 1)
  const Value* find(std::string_view namespace_name, std::string_view key) const;
  bool operator==(const Content&) const = default;

 private:
  std::vector<Element> elements_;
};

// ---- Encryption keys (nvs_keys partition) ----
// XTS-AES-256 key pair: the data key encrypts, the tweak key encrypts the tweak (the entry's offset).
struct XtsKeys {
  std::array<std::uint8_t, 32> data_key{};
  std::array<std::uint8_t, 32> tweak_key{};
  bool operator==(const XtsKeys&) const = default;
};

XtsKeys generate_keys();                                           // 64 bytes from OpenSSL's CSPRNG
XtsKeys keys_from_hmac(std::span<const std::uint8_t> hmac_key);   // ESP-IDF's HMAC-based scheme
// The 4096-byte nvs_keys partition: data key, tweak key, CRC32 of the 64 key bytes (LE), then 0xFF.
std::vector<std::uint8_t> key_partition_image(const XtsKeys& keys);
// Accepts a key partition image (CRC checked) or 64 raw key bytes. Throws Error(bad_input, field "keys").
XtsKeys parse_key_file(std::span<const std::uint8_t> bytes);

// ---- Writer ----
enum class FormatVersion { v1 = 1, v2 = 2 };  // v1: single-page blobs; v2: multi-page blobs (ESP-IDF >= 4.0)

struct BuildOptions {
  std::size_t size_bytes = 0x6000;  // multiple of 4096, at least 3 pages
  FormatVersion version = FormatVersion::v2;
  std::optional<XtsKeys> keys;      // set: every written entry is XTS-AES-256 encrypted
};

// Partition sizes as people write them: "0x6000", "24576", "24K". Throws Error(bad_input, field).
std::size_t parse_size(std::string_view text, std::string_view field);

// Checks every name and value against the limits of `version` without building. Throws Error(nvs_limit or
// bad_input) naming the namespace/key, the value's size and the limit.
void validate(const Content& content, FormatVersion version);

// Lays out the pages exactly as nvs_partition_gen does (docs/nvs.md, "Placement"). Throws Error(nvs_limit) when a
// limit is exceeded or the content needs more pages than `size_bytes` gives.
std::vector<std::uint8_t> build_image(const Content& content, const BuildOptions& options);

// ---- Reader ----
struct Problem {
  std::string kind;     // stable: header_crc, entry_crc, data_crc, truncated_span, orphan_blob_chunk, ...
  std::size_t page = 0;
  std::optional<std::size_t> entry;  // entry index within the page, when the problem is one entry
  std::string message;  // what is wrong, where and what was expected
};

struct PageSummary {
  std::size_t index = 0;
  std::string state;    // empty, active, full, freeing, corrupt, invalid
  std::uint32_t sequence = 0;
  int version = 0;      // 1 or 2 (0 for an empty page)
  std::size_t written_entries = 0;
  std::size_t erased_entries = 0;
};

struct ReadReport {
  Content content;                 // namespaces and items found, in page-sequence then entry order
  std::vector<PageSummary> pages;
  std::vector<Problem> problems;   // empty = valid
  bool valid() const { return problems.empty(); }
};

// Parses any image: as written by the generator or by a running device (erased entries, freeing pages). Never
// throws on damaged input; each defect becomes a Problem. With keys, entries are decrypted first.
ReadReport read_image(std::span<const std::uint8_t> image, const std::optional<XtsKeys>& keys = std::nullopt);

// Encrypts / decrypts every written entry of an image in place (headers and bitmaps stay clear).
void encrypt_image(std::span<std::uint8_t> image, const XtsKeys& keys);
void decrypt_image(std::span<std::uint8_t> image, const XtsKeys& keys);

// ---- Credentials (firmware/PROTOCOL.md section 2) ----
struct CredentialsOptions {
  std::string namespace_name = "provision";  // 1..15 characters
  std::size_t size_bytes = 0x10000;          // the `prov` partition of the bundled firmware
  FormatVersion version = FormatVersion::v2;
  std::optional<XtsKeys> keys;
};

// Record field -> NVS key, in the order written: uuid, psk, mac, certificate -> device_cert (device_cert is
// accepted too), device_key, ca_cert, wifi_ssid, wifi_password. uuid, psk and mac are required; the others are
// written when present. All values are strings.
Content credentials_content(const Record& record, std::string_view namespace_name);
std::vector<std::uint8_t> build_credentials_image(const Record& record, const CredentialsOptions& options);

}  // namespace provision::nvs
