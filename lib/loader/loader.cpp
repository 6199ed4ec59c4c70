// The loader session: request/response over the link, SYNC, chip detection, MAC, baud rate, leaving.
#include "provision/loader.hpp"

#include <fmt/format.h>

#include <chrono>

namespace provision::loader {

using serial::Millis;
using Clock = std::chrono::steady_clock;

Loader::Loader(serial::Link& link, ProgressSink progress, std::string device)
    : link_(link), progress_(std::move(progress)), device_(device.empty() ? link.name() : std::move(device)) {}

void Loader::warn(const std::string& message) const {
  report(progress_, {device_, "loader", StepState::progress, 0, "warning: " + message});
}

void Loader::progress(double fraction, const std::string& message) const {
  report(progress_, {device_, "loader", StepState::progress, fraction, message});
}

Error Loader::timeout_error(Command command, Millis timeout) const {
  std::string seen;
  if (damaged_frames_ > 0) seen = fmt::format("; {} damaged frame(s) arrived", damaged_frames_);
  if (!last_problem_.empty()) seen += fmt::format("; last unexpected frame: {}", last_problem_);
  return Error(ErrorCode::device_timeout,
               fmt::format("{} did not answer {} within {} ms{}; check that the board is in download mode "
                           "(--before), the port and the baud rate",
                           link_.name(), command_name(command), timeout.count(), seen),
               "port");
}

asio::awaitable<std::optional<Response>> Loader::wait_response(Command command, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::size_t status_bytes = chip_ ? chip_->status_bytes : 4;  // every ESP32-family ROM sends four
  for (;;) {
    while (decoder_.has_frame()) {
      auto frame = decoder_.pop_frame();
      if (frame.fault != SlipFault::none) {
        ++damaged_frames_;
        continue;
      }
      auto parsed = parse_response(frame.payload, status_bytes);
      if (!parsed.response) {
        last_problem_ = parsed.problem;  // boot noise between frames or a damaged packet: wait on
        continue;
      }
      // A late answer to an earlier command (SYNC sends eight) is not this command's answer.
      if (parsed.response->command != static_cast<std::uint8_t>(command)) continue;
      co_return std::move(parsed.response);
    }
    auto now = Clock::now();
    if (now >= deadline) co_return std::nullopt;
    auto remaining = std::chrono::duration_cast<Millis>(deadline - now) + Millis(1);
    std::size_t n = co_await link_.read_some(read_buffer_, remaining);
    wire_bytes_ += n;
    decoder_.feed(std::span(read_buffer_).first(n));
  }
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

asio::awaitable<Response> Loader::command(Command command, std::span<const std::uint8_t> body,
                                          std::uint32_t checksum, Millis timeout) {
  const auto request = encode_request(command, body, checksum);
  auto frame = slip_encode(request);
  serial::SecretRanges secrets;
  if (data_secret_ && (command == Command::flash_data || command == Command::flash_defl_data)) {
    secrets = frame_tail(request, kDataPayloadAt, frame.size());
  }
  co_await link_.write(frame, secrets);
  wire_bytes_ += frame.size();
  auto response = co_await wait_response(command, timeout);
  if (!response) throw timeout_error(command, timeout);
  co_return std::move(*response);
}

asio::awaitable<Response> Loader::checked(Command command, std::span<const std::uint8_t> body,
                                          std::uint32_t checksum) {
  co_return co_await checked(command, body, checksum, command_timeout(command, 0));
}

asio::awaitable<Response> Loader::checked(Command command, std::span<const std::uint8_t> body,
                                          std::uint32_t checksum, Millis timeout) {
  auto response = co_await this->command(command, body, checksum, timeout);
  if (!response.ok()) throw rom_error(command, response.error);
  co_return response;
}

asio::awaitable<void> Loader::drain(Millis quiet) {
  // co_await stays out of loop conditions and short-circuit operands: GCC 12 miscompiles some of those forms.
  for (;;) {
    std::size_t n = co_await link_.read_some(read_buffer_, quiet);
    if (n == 0) break;
  }
  decoder_.reset();
}

asio::awaitable<bool> Loader::try_sync() {
  auto body = sync_body();
  auto frame = slip_encode(encode_request(Command::sync, body));
  co_await link_.write(frame);
  wire_bytes_ += frame.size();
  auto response = co_await wait_response(Command::sync, command_timeout(Command::sync));
  co_return response && response->ok();
}

asio::awaitable<void> Loader::connect(BeforeReset before, int attempts) {
  auto reset = make_reset(before);
  bool warned = false;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    bool has_lines = co_await reset->run(link_);
    if (!has_lines && !warned) {
      warned = true;
      warn(fmt::format("{} has no modem lines (DTR/RTS), so --before {} cannot reset the board; put it in "
                       "download mode another way (button, jumper, the rig's control)",
                       link_.name(), reset->name()));
    }
    link_.discard_input();
    decoder_.reset();
    // esptool's cadence: five SYNC tries per reset, 50 ms apart, each waiting 100 ms for an answer.
    for (int sync_try = 0; sync_try < 5; ++sync_try) {
      bool synced = co_await try_sync();
      if (synced) {
        co_await drain(Millis(100));  // the seven further SYNC answers
        progress(0, "in download mode");
        co_return;
      }
      co_await link_.delay(Millis(50));
    }
  }
  throw Error(ErrorCode::device_timeout,
              fmt::format("no SYNC answer from {} after {} resets ({}); hold BOOT (GPIO0) while resetting, or "
                          "check the port, the cable and --before",
                          link_.name(), attempts, reset->name()),
              "port");
}

asio::awaitable<std::uint32_t> Loader::read_reg(std::uint32_t address) {
  auto body = read_reg_body(address);
  auto response = co_await checked(Command::read_reg, body);
  co_return response.value;
}

asio::awaitable<void> Loader::write_reg(std::uint32_t address, std::uint32_t value) {
  auto body = write_reg_body(address, value);
  co_await checked(Command::write_reg, body);
}

asio::awaitable<ChipInfo> Loader::detect_chip() {
  ChipInfo info;
  // The chip id is authoritative where the ROM has it (newer chips may reuse a magic value); ESP32 has no
  // GET_SECURITY_INFO and the ESP32-S2's answer carries no chip id.
  auto request = slip_encode(encode_request(Command::get_security_info, {}));
  co_await link_.write(request);
  wire_bytes_ += request.size();
  // No answer at all is tolerated too: some ROMs stay silent on a command they do not know.
  auto security = co_await wait_response(Command::get_security_info, command_timeout(Command::get_security_info));
  if (security && security->ok() && security->data.size() >= 20) {
    info.chip_id = get_u32(security->data, 12);  // after flags (4), flash_crypt_cnt (1), key_purposes (7)
    info.facts = find_chip_by_security_id(*info.chip_id);
    info.detected_by = "security_info";
  }
  if (!info.facts) {
    info.magic = co_await read_reg(kChipDetectMagicAddress);
    info.facts = find_chip_by_magic(*info.magic);
    info.detected_by = "magic";
  }
  if (!info.facts) {
    throw Error(ErrorCode::chip_unknown,
                fmt::format("chip on {} is not one espprov knows: {}magic 0x{:08X} at 0x{:08X}; known: esp32, "
                            "esp32s2, esp32s3, esp32c2, esp32c3, esp32c6, esp32h2",
                            link_.name(), info.chip_id ? fmt::format("chip id {}, ", *info.chip_id) : "",
                            *info.magic, kChipDetectMagicAddress),
                "chip");
  }
  chip_ = info.facts;
  progress(0, fmt::format("chip {}", chip_->display_name));
  co_return info;
}

asio::awaitable<void> Loader::require_chip() {
  if (!chip_) co_await detect_chip();
}

asio::awaitable<MacAddress> Loader::read_mac() {
  co_await require_chip();
  auto word0 = co_await read_reg(chip_->mac_word0_address);
  auto word1 = co_await read_reg(chip_->mac_word1_address);
  co_return mac_from_efuse_words(word0, word1);
}

asio::awaitable<void> Loader::change_baud(unsigned baud) {
  if (baud == link_.baud()) co_return;
  auto body = change_baudrate_body(baud, 0);
  co_await checked(Command::change_baudrate, body);
  link_.set_baud(baud);
  // esptool waits 50 ms for the ROM to switch, then flushes what arrived at the old rate.
  co_await link_.delay(Millis(50));
  link_.discard_input();
  decoder_.reset();
  progress(0, fmt::format("baud {}", baud));
}

asio::awaitable<void> Loader::finish_session(bool run_user_code) {
  // The ROM's FLASH_END wants a begun session: an empty FLASH_BEGIN first, as esptool does.
  co_await require_chip();
  auto begin = flash_begin_body(0, 0, static_cast<std::uint32_t>(chip_->flash_write_block), 0,
                                chip_->begin_has_encrypt_word);
  co_await checked(Command::flash_begin, begin);
  auto end = flash_end_body(run_user_code);
  co_await checked(Command::flash_end, end);
}

asio::awaitable<void> Loader::leave(AfterReset after) {
  if (after == AfterReset::no_reset) co_return;
  if (after == AfterReset::run_app) {
    co_await finish_session(true);
    co_return;
  }
  HardReset hard_reset;
  bool has_lines = co_await hard_reset.run(link_);
  if (has_lines) co_return;
  warn(fmt::format("{} has no modem lines, so --after hard-reset cannot pulse EN; asking the ROM to reboot "
                   "instead (FLASH_END)",
                   link_.name()));
  co_await finish_session(false);
}

}  // namespace provision::loader
