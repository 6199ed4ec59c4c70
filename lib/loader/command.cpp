// Request encoding and response parsing of the ROM serial loader (esptool docs, "Serial Protocol").
#include "provision/loader/command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace provision::loader {
namespace {

// One row per command the station may send. Timeout classes follow esptool's constants: DEFAULT_TIMEOUT 3 s,
// SYNC_TIMEOUT 0.1 s, ERASE_REGION_TIMEOUT_PER_MB 30 s, ERASE_WRITE_TIMEOUT_PER_MB 40 s, MD5_TIMEOUT_PER_MB 8 s.
constexpr std::array kCommands{
    CommandInfo{Command::flash_begin, "FLASH_BEGIN", TimeoutClass::erase_per_mb, true, true},
    CommandInfo{Command::flash_data, "FLASH_DATA", TimeoutClass::write_per_mb, true, true},
    CommandInfo{Command::flash_end, "FLASH_END", TimeoutClass::fixed, false, true},
    CommandInfo{Command::mem_begin, "MEM_BEGIN", TimeoutClass::fixed},
    CommandInfo{Command::mem_end, "MEM_END", TimeoutClass::fixed},
    CommandInfo{Command::mem_data, "MEM_DATA", TimeoutClass::fixed},
    CommandInfo{Command::sync, "SYNC", TimeoutClass::sync, true, true},
    CommandInfo{Command::write_reg, "WRITE_REG", TimeoutClass::fixed},
    CommandInfo{Command::read_reg, "READ_REG", TimeoutClass::fixed},
    CommandInfo{Command::spi_set_params, "SPI_SET_PARAMS", TimeoutClass::fixed, true, true},
    CommandInfo{Command::spi_attach, "SPI_ATTACH", TimeoutClass::fixed, true, true},
    CommandInfo{Command::read_flash_slow, "READ_FLASH_SLOW", TimeoutClass::fixed},
    CommandInfo{Command::change_baudrate, "CHANGE_BAUDRATE", TimeoutClass::fixed, false, true},
    CommandInfo{Command::flash_defl_begin, "FLASH_DEFL_BEGIN", TimeoutClass::erase_per_mb},
    CommandInfo{Command::flash_defl_data, "FLASH_DEFL_DATA", TimeoutClass::write_per_mb},
    CommandInfo{Command::flash_defl_end, "FLASH_DEFL_END", TimeoutClass::fixed, false},
    CommandInfo{Command::spi_flash_md5, "SPI_FLASH_MD5", TimeoutClass::md5_per_mb},
    CommandInfo{Command::get_security_info, "GET_SECURITY_INFO", TimeoutClass::fixed, true, true},
};

constexpr Millis kDefaultTimeout{3000};
constexpr Millis kSyncTimeout{100};

Millis per_mb(double seconds_per_mb, std::size_t size_bytes) {
  auto scaled = Millis(static_cast<long long>(seconds_per_mb * 1000.0 * static_cast<double>(size_bytes) / 1e6));
  return std::max(kDefaultTimeout, scaled);
}

struct RomErrorText {
  std::uint8_t code;
  std::string_view text;
  std::string_view hint;
  bool line_fault = false;  // the request arrived mangled: a resend may succeed
};

// ROM codes 0x05..0x0B: esptool docs "ROM Loader Error Codes"; 0xC0.. and 0xFF: the flasher stub's codes from
// the same page, kept so a board running a stub is explained too.
constexpr std::array kRomErrors{
    RomErrorText{0x05, "received message is invalid (parameters or length field)",
                 "the chip may be another model than detected, or the request is malformed", true},
    RomErrorText{0x06, "failed to act on received message",
                 "check the offset and size against the flash size, and that a write session was begun"},
    RomErrorText{0x07, "invalid CRC in message", "the line corrupts data: try a lower --flash-baud or another cable",
                 true},
    RomErrorText{0x08, "flash write error (read-back differs from what was written)",
                 "the region was not erased or the flash is worn; erase it and write again"},
    RomErrorText{0x09, "flash read error (SPI read failed)", "check the offset against the flash size"},
    RomErrorText{0x0A, "flash read length error (request too long)", "read at most 64 bytes per READ_FLASH_SLOW"},
    RomErrorText{0x0B, "deflate error (compressed data is corrupt)", "write again, or use --no-compress"},
    RomErrorText{0xC0, "bad data length", "the request is malformed", true},
    RomErrorText{0xC1, "bad data checksum", "the line corrupts data: try a lower --flash-baud", true},
    RomErrorText{0xC2, "bad block size", "the request is malformed"},
    RomErrorText{0xC3, "invalid command", "the loader does not support this command"},
    RomErrorText{0xC4, "SPI operation failed", "check the flash chip and its wiring"},
    RomErrorText{0xC5, "SPI unlock failed", "the flash is write-protected"},
    RomErrorText{0xC6, "not in flash mode", "begin a flash session first"},
    RomErrorText{0xC7, "inflate error", "write again, or use --no-compress"},
    RomErrorText{0xC8, "not enough data", "the transfer was cut short; write again"},
    RomErrorText{0xC9, "too much data", "the transfer sent more than announced"},
    RomErrorText{0xFF, "command not implemented", "the loader does not support this command"},
};

}  // namespace

const CommandInfo& command_info(Command command) {
  for (const auto& info : kCommands) {
    if (info.code == command) return info;
  }
  throw Error(ErrorCode::internal, fmt::format("no table row for loader command 0x{:02X}", unsigned(command)));
}

std::string_view command_name(Command command) { return command_info(command).name; }

Millis command_timeout(Command command, std::size_t size_bytes) {
  switch (command_info(command).timeout_class) {
    case TimeoutClass::sync: return kSyncTimeout;
    case TimeoutClass::fixed: return kDefaultTimeout;
    case TimeoutClass::erase_per_mb: return per_mb(30, size_bytes);
    case TimeoutClass::write_per_mb: return per_mb(40, size_bytes);
    case TimeoutClass::md5_per_mb: return per_mb(8, size_bytes);
  }
  return kDefaultTimeout;
}

std::uint8_t data_checksum(std::span<const std::uint8_t> data) {
  std::uint8_t sum = kChecksumSeed;
  for (auto byte : data) sum ^= byte;
  return sum;
}

void put_u32(Bytes& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::uint32_t get_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return std::uint32_t(bytes[at]) | std::uint32_t(bytes[at + 1]) << 8 | std::uint32_t(bytes[at + 2]) << 16 |
         std::uint32_t(bytes[at + 3]) << 24;
}

Bytes encode_request(Command command, std::span<const std::uint8_t> data, std::uint32_t checksum) {
  if (data.size() > 0xFFFF) {
    throw Error(ErrorCode::internal, fmt::format("{} body of {} bytes exceeds the 16-bit size field (65535)",
                                                 command_name(command), data.size()));
  }
  Bytes out{0x00, static_cast<std::uint8_t>(command), static_cast<std::uint8_t>(data.size()),
            static_cast<std::uint8_t>(data.size() >> 8)};
  put_u32(out, checksum);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

namespace {
Bytes words(std::initializer_list<std::uint32_t> values) {
  Bytes out;
  for (auto value : values) put_u32(out, value);
  return out;
}
}  // namespace

Bytes sync_body() {
  Bytes out{0x07, 0x07, 0x12, 0x20};
  out.insert(out.end(), 32, 0x55);
  return out;
}

Bytes read_reg_body(std::uint32_t address) { return words({address}); }

Bytes write_reg_body(std::uint32_t address, std::uint32_t value, std::uint32_t mask, std::uint32_t delay_us) {
  return words({address, value, mask, delay_us});
}

Bytes flash_begin_body(std::uint32_t erase_size, std::uint32_t packet_count, std::uint32_t packet_size,
                       std::uint32_t offset, bool with_encryption_word) {
  Bytes out = words({erase_size, packet_count, packet_size, offset});
  if (with_encryption_word) put_u32(out, 0);
  return out;
}

Bytes flash_data_body(std::uint32_t sequence, std::span<const std::uint8_t> data) {
  Bytes out = words({static_cast<std::uint32_t>(data.size()), sequence, 0, 0});
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes flash_end_body(bool run_user_code) { return words({run_user_code ? 1u : 0u}); }

Bytes spi_attach_body(std::uint32_t pin_config) { return words({pin_config, 0}); }

Bytes spi_set_params_body(std::uint32_t flash_size_bytes) {
  return words({0, flash_size_bytes, 64 * 1024, 4 * 1024, 256, 0xFFFF});
}

Bytes change_baudrate_body(std::uint32_t new_baud, std::uint32_t old_baud) { return words({new_baud, old_baud}); }

Bytes spi_flash_md5_body(std::uint32_t offset, std::uint32_t size) { return words({offset, size, 0, 0}); }

Bytes read_flash_slow_body(std::uint32_t offset, std::uint32_t size) { return words({offset, size}); }

ParsedResponse parse_response(std::span<const std::uint8_t> payload, std::size_t status_bytes) {
  constexpr std::size_t kHeader = 8;
  status_bytes = std::max<std::size_t>(status_bytes, 2);  // at least the status and the error byte
  if (payload.size() < kHeader) {
    return {std::nullopt, fmt::format("frame of {} bytes is shorter than a response header (8)", payload.size())};
  }
  if (payload[0] != 0x01) {
    return {std::nullopt, fmt::format("direction byte 0x{:02X} is not a response (0x01)", payload[0])};
  }
  std::size_t size = payload[2] | std::size_t(payload[3]) << 8;
  if (size != payload.size() - kHeader) {
    return {std::nullopt, fmt::format("size field {} disagrees with the {} data bytes received", size,
                                      payload.size() - kHeader)};
  }
  if (size < status_bytes) {
    return {std::nullopt, fmt::format("{} data bytes cannot hold the {} status bytes", size, status_bytes)};
  }
  Response response;
  response.command = payload[1];
  response.value = get_u32(payload, 4);
  auto data = payload.subspan(kHeader);
  response.data.assign(data.begin(), data.end() - static_cast<std::ptrdiff_t>(status_bytes));
  response.status = data[size - status_bytes];
  response.error = data[size - status_bytes + 1];
  return {std::move(response), {}};
}

std::string_view rom_error_text(std::uint8_t code) {
  for (const auto& row : kRomErrors) {
    if (row.code == code) return row.text;
  }
  return "unknown error code";
}

Error rom_error(Command command, std::uint8_t code) {
  std::string_view hint = "check the request and the chip";
  for (const auto& row : kRomErrors) {
    if (row.code == code) hint = row.hint;
  }
  return Error(ErrorCode::rom_error, fmt::format("the ROM loader refused {}: error 0x{:02X}, {}; {}",
                                                 command_name(command), code, rom_error_text(code), hint));
}

bool is_line_fault(std::uint8_t code) {
  for (const auto& row : kRomErrors) {
    if (row.code == code) return row.line_fault;
  }
  return true;  // no ROM sends this code: a status byte the line flipped
}

}  // namespace provision::loader
