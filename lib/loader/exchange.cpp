// One request and its answer, and what happens when the line mangles them. ROM answers carry no checksum and a
// UART has no retransmission, so the loader makes its own certainty: a request whose answer is a checksum error,
// an unparseable or damaged frame, or silence is sent again a bounded number of times (the ROM accepts a data
// block sent twice); a silence first resynchronises with SYNC, and a board that answers no SYNC either has
// stalled and needs a reset. The final MD5 of a write stays the judge of what reached the flash.
#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "provision/loader.hpp"

namespace provision::loader {

using serial::Millis;
using Clock = std::chrono::steady_clock;

namespace {

// After a mangled exchange the ROM may still hold half a request, or an answer may still be on its way: one
// lone 0xC0 closes the half request (the ROM answers it with an error), and what arrives until the line has been
// quiet this long is dropped, so no stale answer is taken for the resent request's.
constexpr Millis kFlushQuiet{20};
// SYNC tries after a silence before the board is declared stalled (each waits the SYNC timeout, 100 ms; esptool
// makes five per reset, eight here: at one corrupted byte in a hundred a SYNC exchange fails about a third of the
// time, and eight failing in a row is then rare enough that "stalled" means stalled).
constexpr int kResyncTries = 8;
constexpr std::uint8_t kRomDeflateError = 0x0B;

}  // namespace

asio::awaitable<Loader::Reply> Loader::await_reply(Command command, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::size_t status_bytes = chip_ ? chip_->status_bytes : 4;  // every ESP32-family ROM sends four
  for (;;) {
    while (decoder_.has_frame()) {
      auto frame = decoder_.pop_frame();
      if (frame.fault != SlipFault::none) {
        ++damaged_frames_;
        co_return Reply{ReplyKind::damaged, {}};
      }
      auto parsed = parse_response(frame.payload, status_bytes);
      if (!parsed.response) {
        last_problem_ = parsed.problem;
        co_return Reply{ReplyKind::damaged, {}};
      }
      if (parsed.response->command != static_cast<std::uint8_t>(command)) {
        // A late answer to an earlier command (SYNC sends eight) is not this command's answer; a refusal under
        // another command byte is this request with its command byte flipped on the way.
        if (parsed.response->ok()) continue;
        last_problem_ = fmt::format("a refusal of command 0x{:02X}", parsed.response->command);
        co_return Reply{ReplyKind::damaged, {}};
      }
      co_return Reply{ReplyKind::answer, std::move(*parsed.response)};
    }
    auto now = Clock::now();
    if (now >= deadline) co_return Reply{};
    auto remaining = std::chrono::duration_cast<Millis>(deadline - now) + Millis(1);
    std::size_t n = co_await link_.read_some(read_buffer_, remaining);
    if (n == 0) co_return Reply{};  // a link returns nothing only once the time is up
    wire_bytes_ += n;
    note_heard(n);
    decoder_.feed(std::span(read_buffer_).first(n));
  }
}

asio::awaitable<std::optional<Response>> Loader::wait_response(Command command, Millis timeout) {
  auto reply = co_await await_reply(command, timeout);
  if (reply.kind != ReplyKind::answer) co_return std::nullopt;
  co_return std::move(reply.response);
}

namespace {

// FLASH_DATA and FLASH_DEFL_DATA carry, after the 8-byte request header and their own 16-byte header, the data.
constexpr std::size_t kDataPayloadAt = 8 + 16;

// The part of a SLIP frame that carries the raw bytes from `raw_from` on, up to the closing 0xC0 (escapes make
// the frame's offsets differ from the raw ones).
serial::SecretRanges frame_tail(std::span<const std::uint8_t> raw, std::size_t raw_from, std::size_t frame_size) {
  std::size_t at = 1;  // the opening 0xC0
  for (std::size_t i = 0; i < raw_from && i < raw.size(); ++i) at += (raw[i] == 0xC0 || raw[i] == 0xDB) ? 2 : 1;
  return {{at, frame_size - 1}};
}

}  // namespace

asio::awaitable<void> Loader::send_request(Command command, std::span<const std::uint8_t> body,
                                           std::uint32_t checksum) {
  const auto request = encode_request(command, body, checksum);
  auto frame = slip_encode(request);
  // While secret data is written (the credentials partition), the data part of each block is masked in --trace,
  // resends included.
  serial::SecretRanges secrets;
  if (data_secret_ && (command == Command::flash_data || command == Command::flash_defl_data)) {
    secrets = frame_tail(request, kDataPayloadAt, frame.size());
  }
  co_await link_.write(frame, secrets);
  wire_bytes_ += frame.size();
}

asio::awaitable<Response> Loader::command(Command command, std::span<const std::uint8_t> body,
                                          std::uint32_t checksum, Millis timeout) {
  co_await send_request(command, body, checksum);
  auto response = co_await wait_response(command, timeout);
  if (!response) throw timeout_error(command, timeout);
  co_return std::move(*response);
}

asio::awaitable<Response> Loader::checked(Command command, std::span<const std::uint8_t> body,
                                          std::uint32_t checksum) {
  co_return co_await checked(command, body, checksum, command_timeout(command, 0));
}

asio::awaitable<Response> Loader::checked(Command command, std::span<const std::uint8_t> body,
                                          std::uint32_t checksum, Millis timeout, int max_resends) {
  if (secure_download_ && !command_info(command).in_secure_download) throw secure_download_refusal(command);
  const int attempts = command_info(command).resendable ? 1 + max_resends : 1;
  line_gave_up_ = false;
  last_refusal_ = 0;
  ReplyKind last = ReplyKind::silence;
  std::uint8_t last_rom_error = 0;
  std::optional<std::uint8_t> refused_once;  // a refusal the request drew once, not yet confirmed
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      std::string why = last == ReplyKind::answer    ? std::string(rom_error_text(last_rom_error))
                        : last == ReplyKind::damaged ? "a damaged answer"
                                                     : "no answer";
      co_await prepare_resend(command, last, why);
    }
    co_await send_request(command, body, checksum);
    auto reply = co_await await_reply(command, timeout);
    last = reply.kind;
    if (reply.kind != ReplyKind::answer) {
      refused_once.reset();
      continue;
    }
    if (reply.response.ok()) co_return std::move(reply.response);
    const std::uint8_t code = reply.response.error;
    if (!is_line_fault(code)) {
      // Requests carry no checksum outside the data packets: a bit the line flipped in an offset, a size or a
      // command byte draws a refusal that looks genuine (0x06 for a size past the flash's end). A refusal counts
      // when the same request drew it twice in a row. A deflate error is final at once: the ROM's inflater is
      // broken for this session, and the write starts over (write_adaptively).
      const bool confirmed = refused_once == code || code == kRomDeflateError;
      if (confirmed || attempt + 1 == attempts) {
        last_refusal_ = code;
        line_gave_up_ = !confirmed && attempts > 1;  // the refusals changed: the line, not the ROM, said no
        throw rom_error(command, code);
      }
      refused_once = code;
    } else {
      refused_once.reset();
    }
    last_rom_error = code;
  }
  line_gave_up_ = attempts > 1;
  const std::string sent = attempts > 1 ? fmt::format(" (sent {} times)", attempts) : std::string();
  if (last == ReplyKind::silence) {
    Error timeout_failure = timeout_error(command, timeout);
    throw Error(timeout_failure.code(), timeout_failure.what() + sent, timeout_failure.field());
  }
  if (last == ReplyKind::answer) {
    Error refused = rom_error(command, last_rom_error);
    throw Error(refused.code(), refused.what() + sent, refused.field());
  }
  throw Error(ErrorCode::protocol,
              fmt::format("every answer of {} to {} arrived damaged{} ({}); the line corrupts data: check the "
                          "cable, or try a lower --flash-baud",
                          link_.name(), command_name(command), sent, last_problem_),
              "port");
}

asio::awaitable<void> Loader::prepare_resend(Command command, ReplyKind last, const std::string& why) {
  ++resends_;
  progress(0, fmt::format("resend {} after {} ({} resends so far)", command_name(command), why, resends_));
  if (last == ReplyKind::silence) {
    co_await resync(command, command_timeout(command, 0));
  } else {
    co_await flush_line();
  }
}

asio::awaitable<void> Loader::flush_line() {
  const std::uint8_t end[] = {kSlipEnd};
  co_await link_.write(end);
  wire_bytes_ += 1;
  co_await drain(kFlushQuiet);
}

asio::awaitable<void> Loader::resync(Command command, Millis timeout) {
  co_await flush_line();
  for (int attempt = 0; attempt < kResyncTries; ++attempt) {
    bool synced = co_await try_sync();
    if (synced) {
      co_await drain(Millis(100));  // the seven further SYNC answers
      co_return;
    }
  }
  Error silent = timeout_error(command, timeout);
  throw Error(ErrorCode::device_timeout,
              fmt::format("{}; it answered no SYNC afterwards either: the board has stalled and needs a reset "
                          "(press EN/RST, or power-cycle it) before running again",
                          silent.what()),
              "port");
}

asio::awaitable<void> Loader::drain(Millis quiet) {
  // co_await stays out of loop conditions and short-circuit operands: GCC 12 miscompiles some of those forms.
  for (;;) {
    std::size_t n = co_await link_.read_some(read_buffer_, quiet);
    if (n == 0) break;
    note_heard(n);
  }
  decoder_.reset();
}

asio::awaitable<bool> Loader::try_sync() {
  auto body = sync_body();
  co_await send_request(Command::sync, body, 0);
  auto response = co_await wait_response(Command::sync, command_timeout(Command::sync));
  co_return response && response->ok();
}

Error Loader::secure_download_refusal(Command command) const {
  return Error(ErrorCode::secure_download,
               fmt::format("{} runs Secure Download Mode (GET_SECURITY_INFO flag SECURE_DOWNLOAD_ENABLE): its ROM "
                           "refuses {} (it answers only SYNC, SPI_ATTACH, SPI_SET_PARAMS, CHANGE_BAUDRATE, "
                           "FLASH_BEGIN/DATA/END and GET_SECURITY_INFO), so espprov cannot read registers, the MAC "
                           "eFuses, flash contents or flash MD5s on it. Provision boards before the "
                           "ENABLE_SECURITY_DOWNLOAD eFuse is burnt; on this board, write with `espprov flash "
                           "--no-verify` and check the result through the firmware",
                           link_.name(), command_name(command)),
               "port");
}

}  // namespace provision::loader
