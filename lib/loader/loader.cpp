// The loader session: request/response over the link, SYNC, chip detection, MAC, baud rate, leaving.
#include "provision/loader.hpp"

#include <fmt/format.h>

#include <chrono>

#include "provision/loader/board_output.hpp"

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

asio::awaitable<void> Loader::connect(BeforeReset before, int attempts) {
  co_await connect(ConnectOptions{.before = before, .sequence = std::nullopt, .attempts = attempts});
}

asio::awaitable<void> Loader::connect(const ConnectOptions& options) {
  bool warned = false;
  int console_attempts = 0;
  std::string console_reset;  // the last attempt's reset, when it booted the application (its console answered)
  const std::string limit = options.attempts == 0 ? "unlimited" : std::to_string(options.attempts);
  for (int attempt = 0; options.attempts == 0 || attempt < options.attempts; ++attempt) {
    auto reset = reset_for_attempt(options, attempt);
    bool has_lines = co_await reset->run(link_);
    if (!has_lines && !warned) {
      warned = true;
      warn(fmt::format("{} has no modem lines (DTR/RTS), so --before {} cannot reset the board; put it in "
                       "download mode another way (button, jumper, the rig's control)",
                       link_.name(), reset->name()));
    }
    link_.discard_input();
    decoder_.reset();
    const std::size_t noise_before = decoder_.noise_bytes();
    const auto outcome = co_await sync_after_reset();
    console_reset.clear();
    if (outcome == SyncOutcome::synced) {
      progress(0, fmt::format("in download mode (attempt {}, {})", attempt + 1, describe_reset(options, attempt)));
      co_return;
    }
    if (outcome == SyncOutcome::console) {
      progress(0, fmt::format("connect attempt {} of {} after {}: the application's console answered (\"{}\"), "
                              "not the ROM loader",
                              attempt + 1, limit, describe_reset(options, attempt), console_evidence_));
      // Only a reset can still switch the board; esptool's two GPIO0 holds (short, long) both booting the
      // application mean the circuit cannot reach download mode, and more attempts would only repeat that.
      const bool resets = has_lines && options.before != BeforeReset::no_reset;
      ++console_attempts;
      console_reset = reset->name();
      if (!resets || console_attempts >= 2) {
        throw wrong_mode_error(std::string(reset->name()), has_lines, resets, console_attempts);
      }
      continue;
    }
    // Why this attempt failed, for --progress ndjson: silence, or output that is not the loader's (the board
    // booted its application: GPIO0 was high when the chip sampled it).
    const std::size_t other = decoder_.noise_bytes() - noise_before;
    progress(0, fmt::format("connect attempt {} of {} failed after {}: {}", attempt + 1, limit,
                            describe_reset(options, attempt),
                            other == 0 ? "no answer to SYNC (silent line)"
                                       : fmt::format("no answer to SYNC; {} bytes of other output (the board may "
                                                     "have booted its application instead of the ROM loader)",
                                                     other)));
  }
  // The last reset booted the application (its console answered): that, not silence, is what to report.
  if (!console_reset.empty()) throw wrong_mode_error(console_reset, true, true, console_attempts);
  auto first = reset_for_attempt(options, 0);
  throw Error(ErrorCode::device_timeout,
              fmt::format("no SYNC answer from {} after {} resets ({}); hold BOOT (GPIO0) while resetting, or "
                          "check the port, the cable, --before or --reset-sequence",
                          link_.name(), options.attempts, first->name()),
              "port");
}

asio::awaitable<Loader::SyncOutcome> Loader::sync_after_reset() {
  heard_.clear();
  hearing_ = true;
  // A running firmware's console does not answer a SLIP frame, which holds no line end; "\r\n" after the first
  // SYNC makes it answer (ERROR for the frame's bytes as a line), while the ROM skips bytes outside frames.
  static constexpr std::uint8_t kLineEnd[] = {'\r', '\n'};
  // esptool's cadence: five SYNC tries per reset, 50 ms apart, each waiting 100 ms for an answer.
  for (int sync_try = 0; sync_try < 5; ++sync_try) {
    bool synced = co_await try_sync();
    if (synced) {
      co_await drain(Millis(100));  // the seven further SYNC answers
      hearing_ = false;
      co_return SyncOutcome::synced;
    }
    if (sync_try == 0) {
      co_await link_.write(kLineEnd);
      wire_bytes_ += sizeof kLineEnd;
    }
    co_await link_.delay(Millis(50));
    const auto verdict = classify_board_output(heard_);
    if (verdict.kind == BoardOutput::console_text) {
      console_evidence_ = verdict.evidence;
      hearing_ = false;
      co_return SyncOutcome::console;
    }
  }
  hearing_ = false;
  co_return SyncOutcome::silent;
}

void Loader::note_heard(std::size_t n) {
  if (!hearing_ || heard_.size() >= kHeardLimit) return;
  const std::size_t take = std::min(n, kHeardLimit - heard_.size());
  heard_.insert(heard_.end(), read_buffer_.begin(), read_buffer_.begin() + static_cast<std::ptrdiff_t>(take));
}

Error Loader::wrong_mode_error(const std::string& reset_name, bool has_lines, bool resets,
                               int console_resets) const {
  const std::string why =
      !has_lines ? fmt::format("the port has no modem lines (DTR/RTS), so --before {} cannot reset it", reset_name)
      : !resets  ? std::string("--before no-reset leaves it as it is")
      : console_resets >= 2
          ? fmt::format("--before {} reset it twice (both GPIO0 holds) and it booted the application both "
                        "times: the board's reset circuit does not reach download mode",
                        reset_name)
          : fmt::format("the last reset ({}) booted the application; --connect-attempts 2 or more also tries the "
                        "long GPIO0 hold",
                        reset_name);
  return Error(ErrorCode::wrong_mode,
               fmt::format("{} runs its application, not the ROM loader: its console answered (\"{}\") and {}. Put "
                           "it in download mode: hold BOOT (GPIO0) and press RESET, or send the firmware "
                           "AT+BOOTLOADER (espprov provision does this by itself)",
                           link_.name(), console_evidence_, why),
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

asio::awaitable<ChipInfo> Loader::detect_once() {
  ChipInfo info;
  // The chip id is authoritative where the ROM has it (newer chips may reuse a magic value); ESP32 has no
  // GET_SECURITY_INFO and the ESP32-S2's answer carries no chip id.
  co_await send_request(Command::get_security_info, {}, 0);
  // No answer at all is tolerated too: some ROMs stay silent on a command they do not know.
  auto security = co_await wait_response(Command::get_security_info, command_timeout(Command::get_security_info));
  if (security && security->ok() && security->data.size() >= 12) {
    info.security_flags = get_u32(security->data, 0);
    info.flash_crypt_cnt = security->data[4];
  }
  if (security && security->ok() && security->data.size() >= 20) {
    info.chip_id = get_u32(security->data, 12);  // after flags (4), flash_crypt_cnt (1), key_purposes (7)
    info.facts = find_chip_by_security_id(*info.chip_id);
    info.detected_by = "security_info";
  }
  if (!info.facts && secure_download_enabled(info)) {
    // Secure Download Mode refuses READ_REG: a ROM that reports no chip id there is the ESP32-S2's (esptool does
    // the same).
    if (!info.chip_id) info.facts = find_chip_by_name("esp32s2");
    info.detected_by = "security_info";
    co_return info;
  }
  if (!info.facts) {
    info.magic = co_await read_reg(kChipDetectMagicAddress);
    info.facts = find_chip_by_magic(*info.magic);
    info.detected_by = "magic";
  }
  co_return info;
}

asio::awaitable<ChipInfo> Loader::detect_chip() {
  // ROM answers carry no checksum, so a flipped bit in a chip id could name another chip: two detections in a
  // row must agree (three tries at most).
  ChipInfo info = co_await detect_once();
  for (int again = 0; again < 2; ++again) {
    ChipInfo next = co_await detect_once();
    bool agree = next.facts == info.facts;
    info = next;
    if (agree) break;
  }
  if (!info.facts) {
    throw Error(ErrorCode::chip_unknown,
                fmt::format("chip on {} is not one espprov knows: {}magic 0x{:08X} at 0x{:08X}; known: esp32, "
                            "esp32s2, esp32s3, esp32c2, esp32c3, esp32c6, esp32h2",
                            link_.name(), info.chip_id ? fmt::format("chip id {}, ", *info.chip_id) : "",
                            info.magic.value_or(0), kChipDetectMagicAddress),
                "chip");
  }
  chip_ = info.facts;
  secure_download_ = secure_download_enabled(info);
  flash_encryption_ = flash_encryption_enabled(info);
  progress(0, fmt::format("chip {}{}{}", chip_->display_name, secure_download_ ? ", secure download mode" : "",
                          flash_encryption_ ? ", flash encryption enabled" : ""));
  co_return info;
}

asio::awaitable<void> Loader::require_chip() {
  if (!chip_) co_await detect_chip();
}

asio::awaitable<std::pair<std::uint32_t, std::uint32_t>> Loader::read_mac_words() {
  auto word0 = co_await read_reg(chip_->mac_word0_address);
  auto word1 = co_await read_reg(chip_->mac_word1_address);
  co_return std::pair{word0, word1};
}

asio::awaitable<MacAddress> Loader::read_mac() {
  co_await require_chip();
  if (secure_download_) throw secure_download_refusal(Command::read_reg);
  // A READ_REG answer has no checksum: one flipped bit is another board's identity. The words count only when
  // two reads in a row agree (a bounded number of reads), then the chip's CRC and the unicast rules apply.
  constexpr int kMacReads = 6;
  auto previous = co_await read_mac_words();
  bool agreed = false;
  for (int read = 1; read < kMacReads && !agreed; ++read) {
    auto next = co_await read_mac_words();
    agreed = next == previous;
    previous = next;
  }
  const auto [word0, word1] = previous;
  const MacAddress mac = mac_from_efuse_words(word0, word1);
  if (!agreed) {
    throw Error(ErrorCode::protocol,
                fmt::format("the MAC eFuse words of {} read differently {} times in a row (last {}); the line "
                            "corrupts data: check the cable, or try a lower --baud",
                            link_.name(), kMacReads, mac_colon(mac)),
                "mac");
  }
  if (auto problem = efuse_mac_problem(*chip_, word0, word1); !problem.empty()) {
    throw Error(ErrorCode::mac_invalid,
                fmt::format("mac: the eFuse MAC of {} ({}) is not usable: {}; nothing was registered. Read the "
                            "board again; if it persists the chip's eFuses are blank or damaged",
                            link_.name(), mac_colon(mac), problem),
                "mac");
  }
  if (chip_->has_mac_ext) eui64_ = eui64_from_efuse_words(word0, word1);
  co_return mac;
}

asio::awaitable<void> Loader::change_baud(unsigned baud) {
  if (baud == link_.baud()) co_return;
  const unsigned old_baud = link_.baud();
  auto body = change_baudrate_body(baud, 0);
  // Not resent blindly: when only the answer was lost the ROM already listens at the new rate. A refusal for a
  // mangled request means it stayed; after a damaged answer or none, whichever rate answers SYNC is the ROM's.
  for (int attempt = 0;; ++attempt) {
    co_await send_request(Command::change_baudrate, body, 0);
    auto reply = co_await await_reply(Command::change_baudrate, command_timeout(Command::change_baudrate));
    const bool refused = reply.kind == ReplyKind::answer && !reply.response.ok();
    if (refused && !is_line_fault(reply.response.error)) {
      throw rom_error(Command::change_baudrate, reply.response.error);
    }
    if (!refused) {
      link_.set_baud(baud);
      // esptool waits 50 ms for the ROM to switch, then flushes what arrived at the old rate.
      co_await link_.delay(Millis(50));
      link_.discard_input();
      decoder_.reset();
      if (reply.kind == ReplyKind::answer) break;
      bool at_new_rate = co_await answers_sync_at(baud);
      if (at_new_rate) break;
      bool at_old_rate = co_await answers_sync_at(old_baud);
      if (!at_old_rate) {
        throw Error(ErrorCode::device_timeout,
                    fmt::format("{} answered SYNC neither at {} nor at {} baud after CHANGE_BAUDRATE: the board has "
                                "stalled and needs a reset (press EN/RST, or power-cycle it)",
                                link_.name(), baud, old_baud),
                    "port");
      }
    } else {
      co_await flush_line();
    }
    if (attempt == kMaxResends) {
      throw Error(ErrorCode::device_timeout,
                  fmt::format("{} did not take CHANGE_BAUDRATE to {} (sent {} times); the line corrupts data: check "
                              "the cable, or keep --flash-baud at --baud",
                              link_.name(), baud, attempt + 1),
                  "port");
    }
    ++resends_;
    progress(0, fmt::format("resend CHANGE_BAUDRATE ({} resends so far)", resends_));
  }
  progress(0, fmt::format("baud {}", baud));
}

asio::awaitable<bool> Loader::answers_sync_at(unsigned baud) {
  // A few SYNC tries: on a bad line one may be mangled itself.
  link_.set_baud(baud);
  link_.discard_input();
  decoder_.reset();
  for (int attempt = 0; attempt < 4; ++attempt) {
    bool synced = co_await try_sync();
    if (synced) {
      co_await drain(Millis(100));  // the further SYNC answers
      co_return true;
    }
  }
  co_return false;
}

asio::awaitable<void> Loader::finish_session(bool run_user_code) {
  co_await require_chip();
  auto begin = flash_begin_body(0, 0, static_cast<std::uint32_t>(chip_->flash_write_block), 0,
                                chip_->begin_has_encrypt_word);
  auto end = flash_end_body(run_user_code);
  // FLASH_END is not resent blindly: after a lost or damaged answer the ROM may already run the application. A
  // board that still answers SYNC never took it (the request was mangled on its way): then the session is begun
  // and ended again. A refusal of a mangled request means the ROM stayed: that one is sent again too.
  for (int attempt = 0;; ++attempt) {
    // The ROM's FLASH_END wants a begun session: an empty FLASH_BEGIN first, as esptool does.
    co_await checked(Command::flash_begin, begin);
    co_await send_request(Command::flash_end, end, 0);
    auto reply = co_await await_reply(Command::flash_end, command_timeout(Command::flash_end));
    if (reply.kind == ReplyKind::answer && reply.response.ok()) co_return;
    if (reply.kind == ReplyKind::answer) {
      if (!is_line_fault(reply.response.error) || attempt == kMaxResends) {
        throw rom_error(Command::flash_end, reply.response.error);
      }
      co_await flush_line();
    } else {
      bool stayed = co_await still_in_loader();
      if (!stayed) co_return;
      if (attempt == kMaxResends) {
        throw Error(ErrorCode::device_timeout,
                    fmt::format("{} stayed in the ROM loader after FLASH_END (sent {} times); the line corrupts "
                                "data: check the cable, or reset the board by hand",
                                link_.name(), attempt + 1),
                    "port");
      }
    }
    ++resends_;
    progress(0, fmt::format("resend FLASH_END: the ROM stayed in the loader ({} resends so far)", resends_));
  }
}

asio::awaitable<bool> Loader::still_in_loader() {
  // Two SYNC tries: one may be mangled itself. Bytes reaching a board that left go to its application's console,
  // which the next step greets with AT until it answers OK.
  co_await flush_line();
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool synced = co_await try_sync();
    if (synced) {
      co_await drain(Millis(100));  // the seven further SYNC answers
      co_return true;
    }
  }
  co_return false;
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
