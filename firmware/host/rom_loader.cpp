#include "rom_loader.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace sim {
namespace {

constexpr std::size_t kHeaderBytes = 8;
constexpr std::size_t kDataHeaderBytes = 16;            // size, sequence, 0, 0 before a data block
constexpr std::uint8_t kChecksumSeed = 0xEF;            // data checksum: 0xEF XOR every data byte
constexpr std::uint32_t kMaxBlockBytes = 0x4000;        // the ROMs refuse larger blocks
constexpr std::uint32_t kReadFlashSlowMaxBytes = 64;    // READ_FLASH_SLOW reads at most 64 bytes per command
constexpr int kSyncResponses = 8;                       // the ROM answers one SYNC with eight responses
// ROMs answer SYNC with a non-zero value (a stub sends 0); this one is what an ESP32 ROM was traced sending.
constexpr std::uint32_t kSyncValue = 0x55552007;

bool is_sync_payload(const std::uint8_t* data, std::size_t size) {
  static constexpr std::uint8_t head[4] = {0x07, 0x07, 0x12, 0x20};
  if (size != 36 || std::memcmp(data, head, 4) != 0) return false;
  return std::all_of(data + 4, data + 36, [](std::uint8_t b) { return b == 0x55; });
}

std::uint32_t sector_floor(std::uint32_t v) { return v / kSectorBytes * kSectorBytes; }
std::uint64_t sector_ceil(std::uint64_t v) { return (v + kSectorBytes - 1) / kSectorBytes * kSectorBytes; }

// The commands a ROM in Secure Download Mode answers (esptool docs, "Serial Protocol" / "Supported in Secure
// Download Mode"): no register or RAM access, no flash read or MD5, no compressed write.
bool allowed_in_secure_download(RomCommand command) {
  switch (command) {
    case RomCommand::sync:
    case RomCommand::spi_attach:
    case RomCommand::spi_set_params:
    case RomCommand::change_baudrate:
    case RomCommand::flash_begin:
    case RomCommand::flash_data:
    case RomCommand::flash_end:
    case RomCommand::get_security_info:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct RomLoader::Inflater {
  z_stream stream{};
  bool finished = false;
  Inflater() { inflateInit(&stream); }
  ~Inflater() { inflateEnd(&stream); }
};

std::uint32_t RomLoader::Request::word(std::size_t index) const {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{data[index * 4 + i]} << (8 * i);
  return v;
}

RomLoader::RomLoader(const ChipFacts& chip, RegisterSpace& registers, FlashImage& flash, BoardSecurity security)
    : chip_(chip), security_(security), registers_(registers), flash_(flash) {}

RomLoader::~RomLoader() = default;

void RomLoader::reset() {
  writing_ = false;
  inflater_.reset();
}

Bytes RomLoader::response(std::uint8_t command, std::uint32_t value, const Bytes& data) const {
  Bytes out;
  const std::size_t size = data.size() + chip_.status_bytes;
  out.reserve(kHeaderBytes + size);
  out.push_back(0x01);
  out.push_back(command);
  out.push_back(static_cast<std::uint8_t>(size));
  out.push_back(static_cast<std::uint8_t>(size >> 8));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  out.insert(out.end(), data.begin(), data.end());
  out.insert(out.end(), chip_.status_bytes, 0x00);  // status 0 (success), error 0, reserved
  return out;
}

Bytes RomLoader::failure(std::uint8_t command, RomError error) const {
  Bytes out = response(command, 0);
  out[out.size() - chip_.status_bytes] = 0x01;
  out[out.size() - chip_.status_bytes + 1] = static_cast<std::uint8_t>(error);
  return out;
}

LoaderReply RomLoader::handle_frame(const Bytes& frame) {
  LoaderReply reply;
  if (frame.size() < kHeaderBytes || frame[0] != 0x00) return reply;  // not a request: the ROM ignores it
  Request request{frame[1],
                  static_cast<std::uint32_t>(frame[4] | frame[5] << 8 | frame[6] << 16 | std::uint32_t{frame[7]} << 24),
                  frame.data() + kHeaderBytes, frame.size() - kHeaderBytes};
  const std::size_t declared = frame[2] | (frame[3] << 8);
  auto fail = [&](RomError error) { reply.frames.push_back(failure(request.command, error)); };
  if (declared != request.size) {
    fail(RomError::invalid_message);
    return reply;
  }
  auto needs = [&](std::size_t bytes) {
    if (request.size >= bytes) return true;
    fail(RomError::invalid_message);
    return false;
  };
  if (security_.secure_download && !allowed_in_secure_download(static_cast<RomCommand>(request.command))) {
    fail(RomError::invalid_message);  // what esptool reads as "not supported in Secure Download Mode"
    return reply;
  }
  switch (static_cast<RomCommand>(request.command)) {
    case RomCommand::sync:
      handle_sync(request, reply);
      break;
    case RomCommand::read_reg:
      if (needs(4)) reply.frames.push_back(response(request.command, registers_.read(request.word(0))));
      break;
    case RomCommand::write_reg:
      if (needs(16)) {
        registers_.write(request.word(0), request.word(1), request.word(2));
        reply.frames.push_back(response(request.command, 0));
      }
      break;
    case RomCommand::spi_attach:
    case RomCommand::spi_set_params:
      if (needs(request.command == static_cast<std::uint8_t>(RomCommand::spi_attach) ? 4 : 24)) {
        reply.frames.push_back(response(request.command, 0));
      }
      break;
    case RomCommand::flash_begin:
    case RomCommand::flash_defl_begin:
      if (needs(16)) handle_begin(request, request.command == 0x10, reply);
      break;
    case RomCommand::flash_data:
      if (needs(kDataHeaderBytes)) handle_data(request, reply);
      break;
    case RomCommand::flash_defl_data:
      if (needs(kDataHeaderBytes)) handle_defl_data(request, reply);
      break;
    case RomCommand::flash_end:
    case RomCommand::flash_defl_end:
      handle_end(request, reply);
      break;
    case RomCommand::mem_begin:
    case RomCommand::mem_end:
      // RAM downloads are accepted and discarded: the simulator runs no uploaded code (no flasher stub).
      reply.frames.push_back(response(request.command, 0));
      break;
    case RomCommand::mem_data:
      if (needs(kDataHeaderBytes)) reply.frames.push_back(response(request.command, 0));
      break;
    case RomCommand::spi_flash_md5:
      if (needs(16)) handle_md5(request, reply);
      break;
    case RomCommand::read_flash_slow:
      if (needs(8)) handle_read_flash(request, reply);
      break;
    case RomCommand::change_baudrate:
      if (needs(8)) {
        if (request.word(0) == 0) {
          fail(RomError::invalid_message);
        } else {
          reply.frames.push_back(response(request.command, 0));
          reply.new_baud = request.word(0);
        }
      }
      break;
    case RomCommand::get_security_info:
      handle_security_info(request, reply);
      break;
    default:
      fail(RomError::invalid_message);  // unknown command (the stub-only 0xD0.. commands land here too)
      break;
  }
  return reply;
}

void RomLoader::handle_sync(const Request& request, LoaderReply& reply) {
  if (!is_sync_payload(request.data, request.size)) {
    reply.frames.push_back(failure(request.command, RomError::invalid_message));
    return;
  }
  for (int i = 0; i < kSyncResponses; ++i) reply.frames.push_back(response(request.command, kSyncValue));
}

void RomLoader::handle_begin(const Request& request, bool compressed, LoaderReply& reply) {
  const std::uint32_t erase_size = request.word(0);
  const std::uint32_t block_size = request.word(2);
  const std::uint32_t offset = request.word(3);
  const std::uint32_t erase_start = sector_floor(offset);
  const std::uint64_t erase_end = sector_ceil(std::uint64_t{offset} + erase_size);
  if (block_size == 0 || block_size > kMaxBlockBytes || erase_end > flash_.size()) {
    reply.frames.push_back(failure(request.command, RomError::failed_to_act));
    return;
  }
  const auto erase_length = static_cast<std::uint32_t>(erase_end - erase_start);
  flash_.erase(erase_start, erase_length);
  reply.busy_ms += FlashImage::erase_time_ms(erase_start, erase_length);
  writing_ = true;
  compressed_ = compressed;
  write_offset_ = offset;
  block_size_ = block_size;
  written_bytes_ = 0;
  next_sequence_ = 0;
  inflater_.reset();
  if (compressed) inflater_ = std::make_unique<Inflater>();
  reply.frames.push_back(response(request.command, 0));
}

RomLoader::BlockOrder RomLoader::order_of(std::uint32_t sequence) const {
  if (sequence == next_sequence_) return BlockOrder::next;
  if (next_sequence_ > 0 && sequence == next_sequence_ - 1) return BlockOrder::repeat;
  return BlockOrder::out_of_order;
}

std::optional<RomError> RomLoader::program_checked(std::uint32_t address, const std::uint8_t* data,
                                                   std::size_t length, LoaderReply& reply) {
  if (!flash_.contains(address, length)) return RomError::failed_to_act;
  flash_.program(address, data, length);
  reply.busy_ms += FlashImage::program_time_ms(length);
  // The ROM reads the block back and compares: bits a write could not set (not erased) show up here.
  if (std::memcmp(flash_.data() + address, data, length) != 0) return RomError::flash_write;
  return std::nullopt;
}

void RomLoader::handle_data(const Request& request, LoaderReply& reply) {
  const std::uint8_t* block = request.data + kDataHeaderBytes;
  const std::size_t block_length = request.size - kDataHeaderBytes;
  std::uint8_t checksum = kChecksumSeed;
  for (std::size_t i = 0; i < block_length; ++i) checksum ^= block[i];
  if (request.word(0) != block_length) {
    reply.frames.push_back(failure(request.command, RomError::invalid_message));
  } else if (checksum != (request.checksum & 0xFF)) {
    reply.frames.push_back(failure(request.command, RomError::invalid_crc));
  } else if (!writing_ || compressed_ || block_length > block_size_) {
    reply.frames.push_back(failure(request.command, RomError::failed_to_act));
  } else if (auto order = order_of(request.word(1)); order != BlockOrder::next) {
    reply.frames.push_back(order == BlockOrder::repeat ? response(request.command, 0)
                                                       : failure(request.command, RomError::invalid_message));
  } else {
    ++next_sequence_;
    const std::uint64_t address = std::uint64_t{write_offset_} + std::uint64_t{request.word(1)} * block_size_;
    auto error = address > 0xFFFFFFFFu ? std::optional(RomError::failed_to_act)
                                       : program_checked(static_cast<std::uint32_t>(address), block, block_length, reply);
    reply.frames.push_back(error ? failure(request.command, *error) : response(request.command, 0));
  }
}

void RomLoader::handle_defl_data(const Request& request, LoaderReply& reply) {
  const std::uint8_t* block = request.data + kDataHeaderBytes;
  const std::size_t block_length = request.size - kDataHeaderBytes;
  std::uint8_t checksum = kChecksumSeed;
  for (std::size_t i = 0; i < block_length; ++i) checksum ^= block[i];
  auto fail = [&](RomError error) { reply.frames.push_back(failure(request.command, error)); };
  if (request.word(0) != block_length) return fail(RomError::invalid_message);
  if (checksum != (request.checksum & 0xFF)) return fail(RomError::invalid_crc);
  if (!writing_ || !compressed_ || !inflater_) return fail(RomError::failed_to_act);
  if (auto order = order_of(request.word(1)); order != BlockOrder::next) {
    if (order == BlockOrder::out_of_order) return fail(RomError::invalid_message);
    reply.frames.push_back(response(request.command, 0));
    return;
  }
  ++next_sequence_;

  z_stream& z = inflater_->stream;
  z.next_in = const_cast<Bytef*>(block);
  z.avail_in = static_cast<uInt>(block_length);
  std::uint8_t out[16384];
  while (z.avail_in > 0 && !inflater_->finished) {
    z.next_out = out;
    z.avail_out = sizeof out;
    int status = inflate(&z, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) return fail(RomError::deflate);
    const std::size_t produced = sizeof out - z.avail_out;
    if (produced > 0) {
      auto error = program_checked(write_offset_ + written_bytes_, out, produced, reply);
      if (error) return fail(*error);
      written_bytes_ += static_cast<std::uint32_t>(produced);
    }
    if (status == Z_STREAM_END) inflater_->finished = true;
    if (status == Z_BUF_ERROR && produced == 0) break;
  }
  reply.frames.push_back(response(request.command, 0));
}

void RomLoader::handle_end(const Request& request, LoaderReply& reply) {
  // One word: 0 = reboot, 1 = run user code. Both leave the loader for the application (GPIO0 is released by
  // then); a client that wants to stay in the loader does not send FLASH_END.
  if (request.size < 4) {
    reply.frames.push_back(failure(request.command, RomError::invalid_message));
    return;
  }
  if (!writing_) {
    reply.frames.push_back(failure(request.command, RomError::failed_to_act));
    return;
  }
  reset();
  reply.frames.push_back(response(request.command, 0));
  reply.run_app = true;
}

void RomLoader::handle_md5(const Request& request, LoaderReply& reply) {
  const std::uint32_t address = request.word(0);
  const std::uint32_t length = request.word(1);
  if (!flash_.contains(address, length)) {
    reply.frames.push_back(failure(request.command, RomError::failed_to_act));
    return;
  }
  unsigned char digest[16];
  unsigned int digest_length = 0;
  EVP_Digest(flash_.data() + address, length, digest, &digest_length, EVP_md5(), nullptr);
  // The ROM answers with 32 lower-case hex characters (the stub sends the 16 raw bytes instead).
  static constexpr char hex[] = "0123456789abcdef";
  Bytes text;
  for (unsigned char b : digest) {
    text.push_back(static_cast<std::uint8_t>(hex[b >> 4]));
    text.push_back(static_cast<std::uint8_t>(hex[b & 0xF]));
  }
  reply.frames.push_back(response(request.command, 0, text));
}

void RomLoader::handle_read_flash(const Request& request, LoaderReply& reply) {
  const std::uint32_t address = request.word(0);
  const std::uint32_t length = request.word(1);
  if (length > kReadFlashSlowMaxBytes) {
    reply.frames.push_back(failure(request.command, RomError::flash_read_length));
  } else if (!flash_.contains(address, length)) {
    reply.frames.push_back(failure(request.command, RomError::flash_read));
  } else {
    Bytes data(flash_.data() + address, flash_.data() + address + length);
    reply.frames.push_back(response(request.command, 0, data));
  }
}

void RomLoader::handle_security_info(const Request& request, LoaderReply& reply) {
  if (chip_.security_info == SecurityInfo::unsupported) {
    reply.frames.push_back(failure(request.command, RomError::invalid_message));
    return;
  }
  // flags (u32, bit 2 = SECURE_DOWNLOAD_ENABLE), flash_crypt_cnt (u8: 0b001 once flash encryption is enabled),
  // key_purposes (7 x u8), then on ROMs that report it: chip_id (u32) and eco_version (u32).
  Bytes data(12, 0x00);
  if (security_.secure_download) data[0] |= 1u << 2;
  if (security_.flash_encryption) data[4] = 0x01;
  if (chip_.security_info == SecurityInfo::with_chip_id) {
    for (int i = 0; i < 4; ++i) data.push_back(static_cast<std::uint8_t>(chip_.chip_id >> (8 * i)));
    data.insert(data.end(), 4, 0x00);
  }
  reply.frames.push_back(response(request.command, 0, data));
}

}  // namespace sim
