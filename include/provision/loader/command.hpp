// Command and response packets of the ESP ROM serial loader (esptool docs, "Serial Protocol": "Command Packet",
// "Response Packet", "Supported by Software Loader and ROM Loaders", "ROM Loader Error Codes"). Pure: values in,
// bytes out, and back; every multi-byte field is little-endian.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "provision/error.hpp"

namespace provision::loader {

using Bytes = std::vector<std::uint8_t>;
using Millis = std::chrono::milliseconds;

enum class Command : std::uint8_t {
  flash_begin = 0x02,
  flash_data = 0x03,
  flash_end = 0x04,
  mem_begin = 0x05,
  mem_end = 0x06,
  mem_data = 0x07,
  sync = 0x08,
  write_reg = 0x09,
  read_reg = 0x0A,
  spi_set_params = 0x0B,
  spi_attach = 0x0D,
  read_flash_slow = 0x0E,
  change_baudrate = 0x0F,
  flash_defl_begin = 0x10,
  flash_defl_data = 0x11,
  flash_defl_end = 0x12,
  spi_flash_md5 = 0x13,
  get_security_info = 0x14,
};

// How long the host waits for a command's response. Erase and write classes scale with the bytes involved
// (esptool's timeout_per_mb: seconds per MB, never below the default).
enum class TimeoutClass { sync, fixed, erase_per_mb, write_per_mb, md5_per_mb };

struct CommandInfo {
  Command code;
  std::string_view name;  // as the esptool docs spell it: "FLASH_BEGIN"
  TimeoutClass timeout_class;
  // Safe to send again when the line mangled the exchange: the ROM doing it twice leaves the same state. Not so
  // for FLASH_END (the ROM has left the loader) or CHANGE_BAUDRATE (the ROM may already listen at the new rate).
  bool resendable = true;
  // Answered by a ROM in Secure Download Mode (esptool docs, "Serial Protocol" / "Supported in Secure Download
  // Mode": SYNC, SPI_ATTACH, SPI_SET_PARAMS, CHANGE_BAUDRATE, FLASH_BEGIN/DATA/END, GET_SECURITY_INFO); that ROM
  // refuses every other command.
  bool in_secure_download = false;
};

// How often a request is sent again after a checksum error, a damaged or unparseable reply or a silence
// (esptool: WRITE_BLOCK_ATTEMPTS = 3). Each resend is counted and reported; the final MD5 stays the judge.
inline constexpr int kMaxResends = 4;

const CommandInfo& command_info(Command command);
std::string_view command_name(Command command);
// `size_bytes` is what the command erases, writes or hashes (ignored by the fixed classes).
Millis command_timeout(Command command, std::size_t size_bytes = 0);

inline constexpr std::uint8_t kChecksumSeed = 0xEF;
// The data packets' checksum: 0xEF XOR every data byte (placed in the request's 32-bit checksum field).
std::uint8_t data_checksum(std::span<const std::uint8_t> data);

// The unescaped request: direction 0x00, command, size (u16), checksum (u32), data. The caller SLIP-encodes it.
Bytes encode_request(Command command, std::span<const std::uint8_t> data, std::uint32_t checksum = 0);

// ---- request bodies ----
Bytes sync_body();  // 0x07 0x07 0x12 0x20, then 32 x 0x55
Bytes read_reg_body(std::uint32_t address);
Bytes write_reg_body(std::uint32_t address, std::uint32_t value, std::uint32_t mask = 0xFFFFFFFF,
                     std::uint32_t delay_us = 0);
// FLASH_BEGIN / FLASH_DEFL_BEGIN: size to erase, number of data packets, packet size, flash offset; ROMs after the
// ESP32 take a fifth word (1 = encrypted write), `with_encryption_word` adds it as 0.
Bytes flash_begin_body(std::uint32_t erase_size, std::uint32_t packet_count, std::uint32_t packet_size,
                       std::uint32_t offset, bool with_encryption_word);
// FLASH_DATA / FLASH_DEFL_DATA: size, sequence number, two zero words, then the data. The checksum goes in the
// request header: encode_request(command, body, data_checksum(data)).
Bytes flash_data_body(std::uint32_t sequence, std::span<const std::uint8_t> data);
// FLASH_END / FLASH_DEFL_END: 0 = reboot, 1 = run user code. On a ROM either ends download mode.
Bytes flash_end_body(bool run_user_code);
// SPI_ATTACH: the pin configuration word (0 = the default SPI flash pins) plus, for the ROM, four zero bytes.
Bytes spi_attach_body(std::uint32_t pin_config = 0);
// SPI_SET_PARAMS: id, total size, block 64 KiB, sector 4 KiB, page 256, status mask 0xFFFF.
Bytes spi_set_params_body(std::uint32_t flash_size_bytes);
// CHANGE_BAUDRATE: new baud, old baud (0 when talking to the ROM).
Bytes change_baudrate_body(std::uint32_t new_baud, std::uint32_t old_baud = 0);
Bytes spi_flash_md5_body(std::uint32_t offset, std::uint32_t size);
Bytes read_flash_slow_body(std::uint32_t offset, std::uint32_t size);

// ---- responses ----
struct Response {
  std::uint8_t command = 0;
  std::uint32_t value = 0;  // READ_REG's register value, SYNC's non-zero word
  Bytes data;               // the payload without the status bytes
  std::uint8_t status = 0;  // 0 = success, 1 = failure
  std::uint8_t error = 0;   // a ROM error code when status is 1
  bool ok() const { return status == 0; }
};

struct ParsedResponse {
  std::optional<Response> response;
  std::string problem;  // why the frame is not a response, when it is not
};

// Parses one SLIP payload as a response whose status occupies the last `status_bytes` bytes (4 on every ESP32
// family ROM, 2 on the ESP8266 ROM and the flasher stubs). A frame that is not a response (another direction
// byte, a size field that disagrees with the length, too short for its status) gives a problem text instead.
ParsedResponse parse_response(std::span<const std::uint8_t> payload, std::size_t status_bytes);

// ---- ROM error codes ----
// The documented meaning of a ROM (or stub) error code, or "unknown error code" for any other value.
std::string_view rom_error_text(std::uint8_t code);
// Error(rom_error) naming the command, the code and its meaning, with a hint of what to do.
Error rom_error(Command command, std::uint8_t code);
// True when the code says the request arrived mangled (invalid message, bad checksum, a code no ROM sends), so
// sending it again may succeed; false for refusals that a resend would only repeat (flash read-back, bounds).
bool is_line_fault(std::uint8_t code);

// Little-endian helpers shared by the loader's parts.
void put_u32(Bytes& out, std::uint32_t value);
std::uint32_t get_u32(std::span<const std::uint8_t> bytes, std::size_t at);

}  // namespace provision::loader
