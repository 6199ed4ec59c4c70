// Flash operations of the loader: attach, flash id, write (plain and deflated) with MD5 verify, read, erase.
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "provision/hex.hpp"

#include "provision/loader.hpp"

namespace provision::loader {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kSectorBytes = 4096;
constexpr std::uint32_t kDefaultFlashSize = 4 * 1024 * 1024;  // when the JEDEC id gives no plausible size
constexpr std::uint32_t kReadChunkBytes = 64;                 // READ_FLASH_SLOW's limit on the ROM
constexpr std::uint8_t kSpiReadJedecId = 0x9F;
constexpr std::uint32_t kSpiCmdUsr = 1u << 18;  // SPI_CMD: start the user-defined command, cleared when done
constexpr std::uint32_t kSpiUsrCommand = 1u << 31;  // SPI_USR: command phase
constexpr std::uint32_t kSpiUsrMiso = 1u << 28;     // SPI_USR: read (MISO) phase
// A line that flips one byte in a thousand mangles a 1 KiB packet about every other time, one in a hundred
// nearly always. When a packet exhausts its resends the write starts over with packets a quarter the size (the
// ROM takes any packet size FLASH_BEGIN announces); below 64 bytes the framing would outweigh the data.
constexpr std::uint32_t kSmallestPacket = 64;
// The ROM's data checksum is one XOR byte: two flips of the same bit in a packet cancel out (about one 1 KiB packet
// in fifty at one flipped byte in a thousand), and the ROM inflates or writes mangled data. A deflate error, or a
// final MD5 that differs, starts the write over: at most this many times.
constexpr int kMaxWriteRestarts = 3;
constexpr std::uint8_t kRomDeflateError = 0x0B;
// SPI_FLASH_MD5 asks per verification: an answer the line mangled differs from the data's MD5 by chance, the
// flash's content differs every time.
constexpr int kMd5Asks = 4;

Bytes deflate(std::span<const std::uint8_t> data) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  Bytes out(size);
  // Level 9 as esptool: the wire, not the host's CPU, is the bottleneck.
  if (compress2(out.data(), &size, data.data(), static_cast<uLong>(data.size()), 9) != Z_OK) {
    throw Error(ErrorCode::internal, fmt::format("zlib could not compress {} bytes", data.size()));
  }
  out.resize(size);
  return out;
}

// The ROM answers SPI_FLASH_MD5 with 32 ASCII hex characters (a flasher stub with the 16 raw bytes).
std::string md5_text(const Response& response) {
  if (response.data.size() == 16) return to_hex(response.data);
  if (response.data.size() < 32) return {};
  std::string text(response.data.begin(), response.data.begin() + 32);
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return text;
}

}  // namespace

asio::awaitable<std::uint32_t> Loader::spi_command(std::uint8_t opcode, unsigned read_bits) {
  // A user command on the SPI flash controller, as esptool's run_spiflash_command: enable the command and MISO
  // phases, set the 8-bit opcode and the read length, start it, wait for the start bit to clear, read W0.
  const auto& spi = chip_->spi;
  auto saved_usr = co_await read_reg(spi.base + spi.usr);
  auto saved_usr2 = co_await read_reg(spi.base + spi.usr2);
  co_await write_reg(spi.base + spi.usr, kSpiUsrCommand | kSpiUsrMiso);
  co_await write_reg(spi.base + spi.usr2, (7u << 28) | opcode);  // bit length - 1 in 31..28, opcode below
  if (spi.mosi_dlen != 0) co_await write_reg(spi.base + spi.mosi_dlen, 0);
  co_await write_reg(spi.base + spi.miso_dlen, read_bits - 1);
  co_await write_reg(spi.base + spi.w0, 0);
  co_await write_reg(spi.cmd(), kSpiCmdUsr);
  for (int poll = 0;; ++poll) {
    auto command_register = co_await read_reg(spi.cmd());
    if ((command_register & kSpiCmdUsr) == 0) break;
    if (poll == 10) {
      throw Error(ErrorCode::protocol,
                  fmt::format("the SPI flash controller of {} did not finish command 0x{:02X}", link_.name(), opcode),
                  "port");
    }
  }
  auto result = co_await read_reg(spi.base + spi.w0);
  co_await write_reg(spi.base + spi.usr, saved_usr);
  co_await write_reg(spi.base + spi.usr2, saved_usr2);
  co_return result;
}

asio::awaitable<FlashId> Loader::read_flash_id() {
  co_await require_chip();
  if (chip_->needs_spi_attach && !attached_) {
    auto attach = spi_attach_body(0);
    co_await checked(Command::spi_attach, attach);
  }
  FlashId id;
  auto rdid = co_await spi_command(kSpiReadJedecId, 24);
  id.jedec = rdid & 0xFFFFFF;
  id.size_bytes = flash_size_from_jedec(id.jedec);
  co_return id;
}

asio::awaitable<void> Loader::attach_flash() {
  if (attached_) co_return;
  co_await require_chip();
  if (secure_download_) {
    // The flash id needs READ_REG/WRITE_REG, which Secure Download Mode refuses: attach and announce a size.
    if (chip_->needs_spi_attach) {
      auto attach = spi_attach_body(0);
      co_await checked(Command::spi_attach, attach);
    }
    warn(fmt::format("{} runs Secure Download Mode: its flash size cannot be read; assuming {}", link_.name(),
                     flash_size_text(kDefaultFlashSize)));
    auto params = spi_set_params_body(kDefaultFlashSize);
    co_await checked(Command::spi_set_params, params);
    attached_ = true;
    co_return;
  }
  auto id = co_await read_flash_id();  // attaches first where needed
  flash_size_ = id.size_bytes;
  if (!flash_size_) {
    warn(fmt::format("flash id 0x{:06X} gives no size; assuming 4MB", id.jedec));
  }
  auto params = spi_set_params_body(flash_size_.value_or(kDefaultFlashSize));
  co_await checked(Command::spi_set_params, params);
  attached_ = true;
}

asio::awaitable<std::string> Loader::flash_md5(std::uint32_t offset, std::uint32_t size) {
  co_await attach_flash();
  auto body = spi_flash_md5_body(offset, size);
  auto response = co_await checked(Command::spi_flash_md5, body, 0, command_timeout(Command::spi_flash_md5, size));
  auto text = md5_text(response);
  if (text.size() != 32 || !is_hex(text)) {
    throw Error(ErrorCode::protocol,
                fmt::format("SPI_FLASH_MD5 answer from {} is not an MD5 ({} bytes)", link_.name(),
                            response.data.size()),
                "port");
  }
  co_return text;
}

asio::awaitable<std::string> Loader::device_md5_differs(std::uint32_t offset, std::uint32_t size,
                                                        const std::string& md5) {
  std::string previous;
  for (int ask = 0; ask < kMd5Asks; ++ask) {
    std::optional<std::string> answer;
    try {
      answer = co_await flash_md5(offset, size);
    } catch (const Error& error) {
      if (error.code() != ErrorCode::protocol) throw;  // an answer that is no MD5: ask again
    }
    if (answer && *answer == md5) co_return std::string{};
    if (answer && *answer == previous) co_return previous;  // the same other MD5 twice: the flash differs
    if (answer) previous = *answer;
  }
  co_return previous.empty() ? std::string("no readable MD5") : previous;
}

asio::awaitable<void> Loader::write_adaptively(std::uint32_t offset, std::span<const std::uint8_t> data,
                                               bool compress, std::uint32_t image_size) {
  if (packet_bytes_ == 0) packet_bytes_ = static_cast<std::uint32_t>(chip_->flash_write_block);
  for (int restart = 0;; ++restart) {
    std::optional<Error> failed;
    try {
      co_await write_blocks(offset, data, compress, image_size, packet_bytes_);
    } catch (const Error& error) {
      failed = error;
    }
    if (!failed) co_return;
    const bool mangled = line_gave_up_ || last_refusal_ == kRomDeflateError;
    if (!mangled || restart == kMaxWriteRestarts) throw *failed;
    if (packet_bytes_ / 4 >= kSmallestPacket) packet_bytes_ /= 4;
    ++resends_;
    progress(0, fmt::format("the line mangled the data: writing again in packets of {} bytes", packet_bytes_));
  }
}

asio::awaitable<std::vector<bool>> Loader::differing_sectors(std::uint32_t offset,
                                                             std::span<const std::uint8_t> data) {
  const auto sectors = static_cast<std::uint32_t>((data.size() + kSectorBytes - 1) / kSectorBytes);
  std::vector<bool> differs(sectors, true);
  for (std::uint32_t sector = 0; sector < sectors; ++sector) {
    const auto chunk = data.subspan(std::size_t(sector) * kSectorBytes,
                                    std::min<std::size_t>(kSectorBytes, data.size() - std::size_t(sector) * kSectorBytes));
    // One ask per sector: a mangled answer only makes a sector be written that need not be; a request whose
    // offset the line changed may name a region that happens to hold the same bytes, which the final MD5 of
    // the whole region catches.
    try {
      auto device = co_await flash_md5(offset + sector * kSectorBytes, static_cast<std::uint32_t>(chunk.size()));
      differs[sector] = device != md5_hex(chunk);
    } catch (const Error& error) {
      if (error.code() != ErrorCode::protocol) throw;
    }
  }
  co_return differs;
}

asio::awaitable<std::uint32_t> Loader::write_sectors(std::uint32_t offset, std::span<const std::uint8_t> data,
                                                     const std::vector<bool>& marked, bool compress) {
  std::uint32_t written = 0;
  const auto sectors = static_cast<std::uint32_t>(marked.size());
  for (std::uint32_t first = 0; first < sectors;) {
    if (!marked[first]) {
      ++first;
      continue;
    }
    std::uint32_t end = first;
    while (end < sectors && marked[end]) ++end;
    // Consecutive differing sectors are one flash session (FLASH_BEGIN erases what it announces).
    const std::size_t from = std::size_t(first) * kSectorBytes;
    const std::size_t to = std::min<std::size_t>(std::size_t(end) * kSectorBytes, data.size());
    auto run = data.subspan(from, to - from);
    const auto run_offset = offset + static_cast<std::uint32_t>(from);
    if (compress) {
      auto packed = deflate(run);
      co_await write_adaptively(run_offset, packed, true, static_cast<std::uint32_t>(run.size()));
    } else {
      co_await write_adaptively(run_offset, run, false, static_cast<std::uint32_t>(run.size()));
    }
    written += end - first;
    first = end;
  }
  co_return written;
}

asio::awaitable<void> Loader::write_blocks(std::uint32_t offset, std::span<const std::uint8_t> data, bool compress,
                                           std::uint32_t image_size, std::uint32_t block) {
  const auto packets = static_cast<std::uint32_t>((data.size() + block - 1) / block);
  // The smallest packets are the last resort on a bad line: they get twice the resends.
  const int resends = block <= kSmallestPacket ? 2 * kMaxResends : kMaxResends;
  const Command begin_command = compress ? Command::flash_defl_begin : Command::flash_begin;
  const Command data_command = compress ? Command::flash_defl_data : Command::flash_data;
  // The ROM erases what FLASH_BEGIN announces; for a deflated write that is the image rounded up to whole
  // packets (esptool's flash_defl_begin for the ROM).
  const std::uint32_t erase_size = compress ? (image_size + block - 1) / block * block : image_size;
  auto begin = flash_begin_body(erase_size, packets, block, offset, chip_->begin_has_encrypt_word);
  co_await checked(begin_command, begin, 0, timeouts_.erase.value_or(command_timeout(begin_command, erase_size)));
  // A deflated packet inflates to about image/compressed times its size: the write timeout scales with that.
  const double inflation = data.empty() ? 1.0 : double(image_size) / double(data.size());
  Bytes padded;
  for (std::uint32_t sequence = 0; sequence < packets; ++sequence) {
    auto chunk = data.subspan(std::size_t(sequence) * block, std::min<std::size_t>(block, data.size() - sequence * block));
    if (!compress && chunk.size() < block) {
      // The ROM writes whole packets; 0xFF programs no bit, so the padding leaves the flash as erased.
      padded.assign(chunk.begin(), chunk.end());
      padded.resize(block, 0xFF);
      chunk = padded;
    }
    auto body = flash_data_body(sequence, chunk);
    auto timeout = command_timeout(data_command, std::size_t(double(chunk.size()) * inflation));
    if (sequence == 0 && timeouts_.first_packet) timeout = *timeouts_.first_packet;
    co_await checked(data_command, body, data_checksum(chunk), timeout, resends);
    progress(double(sequence + 1) / packets, fmt::format("wrote {} of {} packets", sequence + 1, packets));
  }
}

asio::awaitable<WriteResult> Loader::write_flash(std::uint32_t offset, std::span<const std::uint8_t> data,
                                                 WriteOptions options) {
  const auto started = Clock::now();
  const auto wire_at_start = wire_bytes_;
  co_await attach_flash();  // detects the chip (and Secure Download Mode) first where needed
  WriteResult result;
  result.offset = offset;
  result.size = static_cast<std::uint32_t>(data.size());
  result.md5 = md5_hex(data);
  result.compressed = options.compress;
  const auto resends_at_start = resends_;
  auto finish = [&] {
    result.bytes_on_wire = wire_bytes_ - wire_at_start;
    result.resends = resends_ - resends_at_start;
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  };
  result.sectors_total = static_cast<std::uint32_t>((data.size() + kSectorBytes - 1) / kSectorBytes);
  if (secure_download_) {
    // The ROM refuses SPI_FLASH_MD5 and FLASH_DEFL_* in this mode: no comparison, no verification, plain packets.
    if (options.verify) {
      throw Error(ErrorCode::secure_download,
                  fmt::format("{} runs Secure Download Mode: its ROM refuses SPI_FLASH_MD5 and flash reads, so a "
                              "write at 0x{:X} cannot be verified; nothing was written. Write with --no-verify "
                              "(plain packets, every sector) and check the result through the firmware, or "
                              "provision boards before the ENABLE_SECURITY_DOWNLOAD eFuse is burnt",
                              link_.name(), offset),
                  "port");
    }
    options.compress = false;
    options.force = true;
    result.compressed = false;
    warn("Secure Download Mode: writing uncompressed and unverified, every sector");
  }
  std::vector<bool> marked(result.sectors_total, true);
  if (!options.force) {
    auto differs = co_await device_md5_differs(offset, result.size, result.md5);
    if (differs.empty()) {
      result.skipped = result.verified = true;
      finish();
      report(progress_, {device_, "flash", StepState::skipped, 1, "region already holds the data (same MD5)"});
      co_return result;
    }
    // Fast reflashing: only the 4 KiB sectors whose MD5 differs are written (esptool v5 does this against a
    // file of the previous image; the device's own MD5s need none). Only for a sector-aligned region: FLASH_BEGIN
    // erases from the sector boundary below its offset, which would take unwritten bytes with it.
    if (offset % kSectorBytes == 0) marked = co_await differing_sectors(offset, data);
  }
  const auto to_write = static_cast<std::uint32_t>(std::count(marked.begin(), marked.end(), true));
  report(progress_, {device_, "flash", StepState::started, 0,
                     fmt::format("writing {} of {} sectors at 0x{:X}{}", to_write, result.sectors_total, offset,
                                 options.compress ? " (compressed)" : "")});
  // Masked in the trace whether deflated or not (deflate hides nothing, anyone can inflate a trace), until this
  // write is over, the second write after a differing MD5 included.
  data_secret_ = options.secret;
  struct SecretScope {
    bool& flag;
    ~SecretScope() { flag = false; }
  } secret_scope{data_secret_};
  result.sectors_written = co_await write_sectors(offset, data, marked, options.compress);
  result.written = true;
  if (options.verify) {
    auto device_md5 = co_await device_md5_differs(offset, result.size, result.md5);
    if (!device_md5.empty()) {
      // A packet mangled past the ROM's one-byte checksum, or a sector compared against the wrong region: the
      // sectors that still differ are written once more, then the MD5 decides.
      ++resends_;
      progress(0, "the flash MD5 differs: writing the differing sectors once more");
      std::vector<bool> still(result.sectors_total, true);
      if (offset % kSectorBytes == 0) still = co_await differing_sectors(offset, data);
      if (std::count(still.begin(), still.end(), true) == 0) still.assign(still.size(), true);
      result.sectors_written += co_await write_sectors(offset, data, still, options.compress);
      device_md5 = co_await device_md5_differs(offset, result.size, result.md5);
    }
    if (!device_md5.empty()) {
      throw Error(ErrorCode::flash_verify,
                  fmt::format("flash at 0x{:X} (+{} bytes) on {} has MD5 {}, the data written has {}; write again "
                              "with --force, try a lower --flash-baud, or check the flash",
                              offset, result.size, link_.name(), device_md5, result.md5),
                  "md5");
    }
    result.verified = true;
  }
  finish();
  report(progress_, {device_, "flash", StepState::done, 1,
                     fmt::format("{} of {} sectors at 0x{:X}{}", result.sectors_written, result.sectors_total, offset,
                                 result.verified ? ", verified" : "")});
  co_return result;
}

asio::awaitable<Bytes> Loader::read_flash(std::uint32_t offset, std::uint32_t size) {
  co_await attach_flash();
  Bytes out;
  out.reserve(size);
  while (out.size() < size) {
    auto chunk = std::min<std::uint32_t>(kReadChunkBytes, size - static_cast<std::uint32_t>(out.size()));
    auto body = read_flash_slow_body(offset + static_cast<std::uint32_t>(out.size()), chunk);
    auto response = co_await checked(Command::read_flash_slow, body);
    if (response.data.size() < chunk) {
      throw Error(ErrorCode::protocol,
                  fmt::format("READ_FLASH_SLOW from {} returned {} bytes, {} were asked", link_.name(),
                              response.data.size(), chunk),
                  "port");
    }
    out.insert(out.end(), response.data.begin(), response.data.begin() + chunk);
    progress(double(out.size()) / size, fmt::format("read {} of {} bytes", out.size(), size));
  }
  co_return out;
}

asio::awaitable<void> Loader::erase_region(std::uint32_t offset, std::uint32_t size) {
  if (offset % kSectorBytes != 0 || size % kSectorBytes != 0 || size == 0) {
    throw Error(ErrorCode::bad_input,
                fmt::format("erase region 0x{:X} +0x{:X} is not whole 4 KiB sectors; use an offset and a size that "
                            "are non-zero multiples of 0x1000",
                            offset, size),
                size % kSectorBytes != 0 || size == 0 ? "size" : "offset");
  }
  co_await attach_flash();
  auto begin = flash_begin_body(size, 0, static_cast<std::uint32_t>(chip_->flash_write_block), offset,
                                chip_->begin_has_encrypt_word);
  co_await checked(Command::flash_begin, begin, 0, timeouts_.erase.value_or(command_timeout(Command::flash_begin, size)));
}

asio::awaitable<std::uint32_t> Loader::erase_flash() {
  co_await attach_flash();
  if (!flash_size_) {
    throw Error(ErrorCode::protocol,
                "the flash chip's size could not be read (its JEDEC id names no size), so the whole chip cannot be "
                "erased; use erase-region with the size you know",
                "flash_size");
  }
  report(progress_, {device_, "erase", StepState::started, 0,
                     fmt::format("erasing the whole flash ({} bytes; this may take a while)", *flash_size_)});
  co_await erase_region(0, *flash_size_);
  report(progress_, {device_, "erase", StepState::done, 1, "flash erased"});
  co_return *flash_size_;
}

}  // namespace provision::loader
