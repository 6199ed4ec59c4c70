// The loader step: talk to an ESP32-family chip in ROM download mode over a serial::Link. Detect the chip, read
// its factory MAC, change the baud rate, write flash (plain or zlib-compressed) and verify it by MD5, read and
// erase flash, and leave the loader. Every operation is an Asio coroutine, so one io_context drives many boards:
//
//   auto link = co_await serial::open_link(port, 115200);
//   loader::Loader device(*link, progress);
//   co_await device.connect(loader::BeforeReset::default_reset);
//   auto chip = co_await device.detect_chip();
//   auto mac = co_await device.read_mac();
//   co_await device.change_baud(921600);
//   auto written = co_await device.write_flash(0x3F0000, image, {});
//   co_await device.leave(loader::AfterReset::hard_reset);
//
// Pure parts (SLIP, packets, ROM errors, chip facts, reset strategies) live in provision/loader/*.hpp.
#pragma once

#include <array>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "provision/identity.hpp"
#include "provision/loader/chips.hpp"
#include "provision/loader/command.hpp"
#include "provision/loader/reset.hpp"
#include "provision/loader/results.hpp"
#include "provision/loader/slip.hpp"
#include "provision/progress.hpp"
#include "provision/record.hpp"
#include "provision/serial.hpp"

namespace provision::loader {

namespace asio = boost::asio;

// Per-operation timeouts where boards differ (a large or slow flash chip erases for longer than the datasheet
// figures the defaults come from). Unset = the command table's (esptool's): FLASH_BEGIN 30 s per MB erased.
struct OperationTimeouts {
  std::optional<serial::Millis> erase;         // FLASH_BEGIN / FLASH_DEFL_BEGIN: the erase it announces
  std::optional<serial::Millis> first_packet;  // the first data packet of a write (some ROMs erase lazily)
};

class Loader {
 public:
  // `device` names the board in progress events (default: the link's name).
  explicit Loader(serial::Link& link, ProgressSink progress = {}, std::string device = {});

  // Resets the board into the loader (`before`) and synchronises: up to `attempts` resets, each followed by
  // SYNC tries 50 ms apart, 100 ms for an answer (esptool's cadence). Boot banner bytes are skipped. A link
  // without modem lines gives a warning and the SYNC tries go on. Throws Error(device_timeout) when no try
  // succeeds. What the board sends meanwhile is classified (board_output.hpp), and a line end goes out with the
  // SYNCs so a running firmware's console answers: when the application's console speaks and no reset can switch
  // the board (no modem lines, --before no-reset, or both reset timings booted the application), connect stops
  // at once with Error(wrong_mode) instead of trying every attempt.
  asio::awaitable<void> connect(BeforeReset before, int attempts = 7);
  // The same with a custom reset sequence, the alternating reset delays of default-reset and `attempts` 0 =
  // until the board answers. Each failed attempt is reported through progress with its reason.
  asio::awaitable<void> connect(const ConnectOptions& options);
  // GET_SECURITY_INFO's chip id, else the magic register. Throws Error(chip_unknown) naming the values.
  asio::awaitable<ChipInfo> detect_chip();
  // Reads the eFuse MAC words until two reads in a row agree (ROM answers carry no checksum), checks the chip's
  // MAC CRC where it has one, and refuses a MAC that is no identity (zero, all ones, multicast). Throws
  // Error(protocol) when the reads keep disagreeing, Error(mac_invalid) for an unusable MAC.
  asio::awaitable<MacAddress> read_mac();
  // CHANGE_BAUDRATE, then the host side follows. No-op when already at `baud`.
  asio::awaitable<void> change_baud(unsigned baud);
  // SPI_ATTACH (where the chip needs it) and SPI_SET_PARAMS with the detected flash size; once per session,
  // done on demand by the flash operations.
  asio::awaitable<void> attach_flash();
  asio::awaitable<FlashId> read_flash_id();
  asio::awaitable<WriteResult> write_flash(std::uint32_t offset, std::span<const std::uint8_t> data,
                                           WriteOptions options);
  // Lower-case hex MD5 of a flash region, computed by the ROM.
  asio::awaitable<std::string> flash_md5(std::uint32_t offset, std::uint32_t size);
  asio::awaitable<Bytes> read_flash(std::uint32_t offset, std::uint32_t size);
  // Erases whole 4 KiB sectors (offset and size must be multiples of 4096): FLASH_BEGIN with no data packets.
  asio::awaitable<void> erase_region(std::uint32_t offset, std::uint32_t size);
  // Erases the whole flash chip (its detected size) to 0xFF; returns the bytes erased. ERASE_FLASH (0xD0) is a
  // flasher-stub command the ROM refuses, so this is FLASH_BEGIN over the whole chip with no data packets, with
  // the erase timeout for that size (30 s per MB: 120 s for 4 MB, esptool's CHIP_ERASE_TIMEOUT) unless set.
  asio::awaitable<std::uint32_t> erase_flash();
  // hard-reset: EN pulse; without modem lines, a warning and FLASH_END's reboot flag instead. run-app:
  // FLASH_END with "run user code". no-reset: stays in the loader.
  asio::awaitable<void> leave(AfterReset after);

  asio::awaitable<std::uint32_t> read_reg(std::uint32_t address);
  asio::awaitable<void> write_reg(std::uint32_t address, std::uint32_t value);

  void set_timeouts(const OperationTimeouts& timeouts) { timeouts_ = timeouts; }

  const ChipFacts* chip() const { return chip_; }
  // From GET_SECURITY_INFO at detect_chip(): the ROM runs Secure Download Mode (it refuses READ_REG, flash
  // reads, SPI_FLASH_MD5 and compressed writes; the loader then fails those with Error(secure_download) without
  // sending them), and flash encryption is enabled.
  bool secure_download() const { return secure_download_; }
  bool flash_encryption() const { return flash_encryption_; }
  // The EUI-64 of chips with an 802.15.4 radio (MAC_EXT in MAC eFuse word 1, bits 16..31, between the OUI and
  // the NIC part: 60:55:f9:ff:fe:f7:2c:a2), once read_mac() has read it; empty on other chips.
  const std::string& eui64() const { return eui64_; }
  std::optional<std::uint32_t> flash_size() const { return flash_size_; }
  std::size_t bytes_on_wire() const { return wire_bytes_; }  // since construction
  std::size_t resends() const { return resends_; }           // since construction
  serial::Link& link() { return link_; }

 private:
  asio::awaitable<Response> command(Command command, std::span<const std::uint8_t> body, std::uint32_t checksum,
                                    serial::Millis timeout);
  asio::awaitable<Response> checked(Command command, std::span<const std::uint8_t> body,
                                    std::uint32_t checksum = 0);
  // The request, sent again (at most `max_resends` times) while the line mangles it; throws the ROM's refusal,
  // Error(device_timeout) for a board that stalled, or the last failure once the resends are spent.
  asio::awaitable<Response> checked(Command command, std::span<const std::uint8_t> body, std::uint32_t checksum,
                                    serial::Millis timeout, int max_resends = kMaxResends);
  // What came back for one request: its answer, a damaged or unparseable frame (the line mangled the exchange),
  // or nothing within the timeout.
  enum class ReplyKind { answer, damaged, silence };
  struct Reply {
    ReplyKind kind = ReplyKind::silence;
    Response response;
  };
  asio::awaitable<Reply> await_reply(Command command, serial::Millis timeout);
  asio::awaitable<std::optional<Response>> wait_response(Command command, serial::Millis timeout);
  asio::awaitable<void> send_request(Command command, std::span<const std::uint8_t> body, std::uint32_t checksum);
  asio::awaitable<void> prepare_resend(Command command, ReplyKind last, const std::string& why);
  asio::awaitable<void> flush_line();
  asio::awaitable<void> resync(Command command, serial::Millis timeout);
  asio::awaitable<bool> try_sync();
  // One reset's SYNC tries; stops early once the board's output shows its application's console.
  enum class SyncOutcome { synced, console, silent };
  asio::awaitable<SyncOutcome> sync_after_reset();
  Error wrong_mode_error(const std::string& reset_name, bool has_lines, bool resets, int console_resets) const;
  void note_heard(std::size_t n);
  asio::awaitable<void> drain(serial::Millis quiet);
  asio::awaitable<ChipInfo> detect_once();
  asio::awaitable<std::pair<std::uint32_t, std::uint32_t>> read_mac_words();
  // "" when the ROM's MD5 of the region is `md5`, else the MD5 it reported (asked again when an answer may be
  // a mangled one).
  asio::awaitable<std::string> device_md5_differs(std::uint32_t offset, std::uint32_t size, const std::string& md5);
  asio::awaitable<void> require_chip();
  asio::awaitable<std::uint32_t> spi_command(std::uint8_t opcode, unsigned read_bits);
  asio::awaitable<void> write_blocks(std::uint32_t offset, std::span<const std::uint8_t> data, bool compress,
                                     std::uint32_t image_size, std::uint32_t block);
  asio::awaitable<void> write_adaptively(std::uint32_t offset, std::span<const std::uint8_t> data, bool compress,
                                         std::uint32_t image_size);
  // The 4 KiB sectors of `data` (at `offset`) whose flash content differs, by SPI_FLASH_MD5 per sector; a sector
  // whose MD5 could not be read counts as differing.
  asio::awaitable<std::vector<bool>> differing_sectors(std::uint32_t offset, std::span<const std::uint8_t> data);
  // Writes the marked sectors, consecutive ones as one flash session each; returns how many were written.
  asio::awaitable<std::uint32_t> write_sectors(std::uint32_t offset, std::span<const std::uint8_t> data,
                                               const std::vector<bool>& marked, bool compress);
  // After FLASH_END went unanswered (or its answer arrived damaged): whether the ROM still answers SYNC, i.e.
  // never took FLASH_END and still runs the loader.
  asio::awaitable<bool> still_in_loader();
  // Whether the ROM answers SYNC at this rate (the link is left at it).
  asio::awaitable<bool> answers_sync_at(unsigned baud);
  Error secure_download_refusal(Command command) const;
  asio::awaitable<void> finish_session(bool run_user_code);
  void warn(const std::string& message) const;
  void progress(double fraction, const std::string& message) const;
  Error timeout_error(Command command, serial::Millis timeout) const;

  serial::Link& link_;
  ProgressSink progress_;
  std::string device_;
  SlipDecoder decoder_;
  std::array<std::uint8_t, 4096> read_buffer_{};
  const ChipFacts* chip_ = nullptr;
  bool attached_ = false;
  std::optional<std::uint32_t> flash_size_;
  std::size_t wire_bytes_ = 0;
  bool data_secret_ = false;  // while writing WriteOptions::secret data: FLASH_(DEFL_)DATA payloads are masked
  std::size_t damaged_frames_ = 0;  // faulted SLIP frames seen, for timeout messages
  std::string last_problem_;
  std::size_t resends_ = 0;
  bool line_gave_up_ = false;  // the last failure was a request the line kept mangling (not a ROM refusal)
  std::uint8_t last_refusal_ = 0;  // the ROM error code of the last refusal thrown, 0 for none
  OperationTimeouts timeouts_;
  // Data packet size for writes, 0 = the chip's; once a line has forced smaller packets they stay for the session.
  std::uint32_t packet_bytes_ = 0;
  bool secure_download_ = false;
  bool flash_encryption_ = false;
  std::string eui64_;
  // The bytes of the current connect attempt, for the mode classifier (bounded: the first kHeardLimit).
  static constexpr std::size_t kHeardLimit = 4096;
  Bytes heard_;
  bool hearing_ = false;
  std::string console_evidence_;
};

}  // namespace provision::loader
