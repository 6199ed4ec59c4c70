#include "device.hpp"

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sim {
namespace {

constexpr std::uint32_t kRomBaud = 115200;      // the ROM loader and the app console start at 115200 8N1
constexpr int kBitsPerByte = 10;                // start bit, 8 data bits, stop bit
// From reset to the ROM's first banner byte, and to the application's first line: the ROM prints within a few ms
// of reset (clients such as esptool look for the complete banner 50 ms after releasing EN); an ESP-IDF
// second-stage bootloader plus app start-up typically takes ~300 ms.
constexpr auto kDownloadBootTime = std::chrono::milliseconds(5);
constexpr auto kAppBootTime = std::chrono::milliseconds(300);
constexpr auto kAppPollInterval = std::chrono::milliseconds(10);

Clock::duration from_ms(double ms) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

}  // namespace

namespace {

PtyHandle open_board_pty() {
  PtyHandle pty;
  char name[128] = {};
  termios raw{};
  cfmakeraw(&raw);
  cfsetspeed(&raw, B115200);
  if (::openpty(&pty.master_fd, &pty.held_slave_fd, name, &raw, nullptr) != 0) {
    throw std::runtime_error("cannot open a pseudo-terminal: " + std::string(std::strerror(errno)));
  }
  pty.port = name;
  ::fcntl(pty.master_fd, F_SETFL, ::fcntl(pty.master_fd, F_GETFL) | O_NONBLOCK);
  ::fcntl(pty.master_fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(pty.held_slave_fd, F_SETFD, FD_CLOEXEC);
  return pty;
}

}  // namespace

Device::Device(const DeviceConfig& config, std::unique_ptr<FlashImage> flash, const std::vector<AccessPoint>& aps)
    : Device(config, std::move(flash), aps, open_board_pty()) {}

Device::Device(const DeviceConfig& config, std::unique_ptr<FlashImage> flash, const std::vector<AccessPoint>& aps,
               PtyHandle pty)
    : config_(config),
      flash_(std::move(flash)),
      access_points_(aps),
      registers_(config.chip, config.mac, config.flash_size),
      loader_(config.chip, registers_, *flash_, config.security),
      circuit_(config.reset_circuit),
      fault_rng_(config.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(config.index)) {
  master_fd_ = pty.master_fd;
  held_slave_fd_ = pty.held_slave_fd;
  port_ = pty.port;
  flash_->power_cut() = PowerCut(config.seed * 0x2545F4914F6CDD1Dull + static_cast<std::uint64_t>(config.index));
  if (config.faults.power_cut_after_ops) flash_->power_cut().arm(*config.faults.power_cut_after_ops);
  reset_into(config.boot_mode, Clock::now());
}

void Device::set_lines(bool dtr, bool rts, Clock::time_point now) {
  apply_circuit(circuit_.on_lines(dtr, rts, now), now);
}

void Device::apply_circuit(ResetCircuit::Action action, Clock::time_point now) {
  switch (action) {
    case ResetCircuit::Action::none:
      return;
    case ResetCircuit::Action::hold_in_reset:
      reset_into(mode_, now, ResetOrigin::host_lines);
      held_in_reset_ = true;  // silent, input lost, until the circuit releases the chip
      return;
    case ResetCircuit::Action::boot_download:
    case ResetCircuit::Action::boot_app:
      held_in_reset_ = false;
      reset_into(action == ResetCircuit::Action::boot_download ? DeviceMode::download : DeviceMode::app, now,
                 ResetOrigin::host_lines);
      return;
  }
}

PtyHandle Device::release_pty() {
  app_.reset();
  PtyHandle pty{master_fd_, held_slave_fd_, port_};
  // What the old board sent and nobody read is gone with it.
  ::tcflush(held_slave_fd_, TCIFLUSH);
  master_fd_ = -1;
  held_slave_fd_ = -1;
  return pty;
}

Device::~Device() {
  app_.reset();
  if (master_fd_ >= 0) ::close(master_fd_);
  if (held_slave_fd_ >= 0) ::close(held_slave_fd_);
}

Clock::duration Device::byte_time() const {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(1'000'000'000ll * kBitsPerByte / baud_));
}

void Device::reset_into(DeviceMode mode, Clock::time_point now, ResetOrigin origin) {
  held_in_reset_ = false;
  app_.reset();
  loader_.reset();
  registers_.reset();
  slip_.reset();
  rx_queue_.clear();
  tx_queue_.clear();
  // A reset through the control models the host toggling DTR/RTS; hosts flush their input after that (esptool does),
  // which a Web-Serial client cannot do itself: drop what no client read yet, possibly half a frame that would
  // swallow the first delimiter of the next session.
  if (origin == ResetOrigin::host_lines) ::tcflush(held_slave_fd_, TCIFLUSH);
  pending_baud_.reset();
  pending_restart_.reset();
  stalled_ = false;
  flash_->power_cut().restore_power();  // a reset is the power coming back: the board boots from what is in flash
  baud_ = kRomBaud;
  mode_ = mode;
  booting_ = true;
  auto boot_time = mode == DeviceMode::download ? Clock::duration(kDownloadBootTime) : Clock::duration(kAppBootTime);
  boot_done_ = now + (config_.realistic_timing ? boot_time : Clock::duration::zero());
  busy_until_ = boot_done_;
}

void Device::finish_boot(Clock::time_point now) {
  booting_ = false;
  if (mode_ == DeviceMode::download) {
    const auto& banner = config_.chip.rom_banner;
    send(Bytes(banner.begin(), banner.end()), now);
    return;
  }
  AppEnvironment environment{*flash_, config_.chip, config_.mac, access_points_, config_.index,
                             config_.realistic_timing,
                             [this](std::string_view bytes) {
                               send(Bytes(bytes.begin(), bytes.end()), Clock::now());
                             },
                             [this](bool into_download) {
                               pending_restart_ = into_download ? DeviceMode::download : DeviceMode::app;
                             }};
  app_ = start_app_session(std::move(environment), now);
}

void Device::on_readable(Clock::time_point now) {
  std::uint8_t buffer[4096];
  for (;;) {
    ssize_t got = ::read(master_fd_, buffer, sizeof buffer);
    if (got <= 0) break;  // EAGAIN, or EIO while the pty has no open slave (cannot happen: we hold one)
    if (rx_queue_.empty()) rx_clock_ = std::max(rx_clock_, now);
    if (booting_) continue;  // bytes that arrive while the chip is in reset are lost
    rx_queue_.insert(rx_queue_.end(), buffer, buffer + got);
    if (rx_queue_.size() >= kMaxQueuedInput) break;
  }
}

void Device::on_writable(Clock::time_point now) {
  tx_blocked_ = false;
  flush_output(now);
}

bool Device::faults_mangle(std::uint8_t& byte) {
  const auto& f = config_.faults;
  if (f.rom_only && mode_ != DeviceMode::download) return true;
  if (f.drop_probability > 0 && std::uniform_real_distribution<double>(0, 1)(fault_rng_) < f.drop_probability) {
    return false;
  }
  if (f.corrupt_probability > 0 && std::uniform_real_distribution<double>(0, 1)(fault_rng_) < f.corrupt_probability) {
    byte ^= static_cast<std::uint8_t>(1u << std::uniform_int_distribution<int>(0, 7)(fault_rng_));
  }
  return true;
}

void Device::count_received_byte(Clock::time_point now) {
  ++received_bytes_;
  const auto& f = config_.faults;
  if (f.stall_after_bytes > 0 && received_bytes_ == f.stall_after_bytes) stalled_ = true;
  if (f.reset_after_bytes > 0 && !reset_fault_done_ && received_bytes_ >= f.reset_after_bytes) {
    reset_fault_done_ = true;
    reset_into(config_.boot_mode, now);
  }
}

void Device::process_input(Clock::time_point now) {
  std::string console_bytes;
  while (!rx_queue_.empty() && !booting_ && now >= busy_until_) {
    if (config_.baud_pacing) {
      if (rx_clock_ > now) break;
      rx_clock_ += byte_time();
    }
    std::uint8_t byte = rx_queue_.front();
    rx_queue_.pop_front();
    if (stalled_) continue;
    count_received_byte(now);
    if (booting_) return;  // the reset fault fired
    if (!faults_mangle(byte)) continue;
    if (mode_ == DeviceMode::app) {
      console_bytes.push_back(static_cast<char>(byte));
      continue;
    }
    if (auto frame = slip_.feed(byte)) {
      handle_loader_frame(*frame, now);
      if (!flash_->power_cut().powered()) break;
      if (pending_baud_ || pending_restart_) break;  // the rest waits until the reply has left
    }
  }
  if (!console_bytes.empty() && app_) app_->on_console_bytes(console_bytes, now);
  check_power();
}

// After a power cut the board is off: nothing more leaves it (the UART stops with the supply) and nothing is read.
bool Device::check_power() {
  if (flash_->power_cut().powered()) return true;
  if (!stalled_) {
    app_.reset();
    loader_.reset();
    tx_queue_.clear();
    pending_baud_.reset();
    pending_restart_.reset();
    stalled_ = true;
  }
  return false;
}

void Device::handle_loader_frame(const Bytes& frame, Clock::time_point now) {
  LoaderReply reply = loader_.handle_frame(frame);
  if (config_.realistic_timing && reply.busy_ms > 0) busy_until_ = std::max(busy_until_, now + from_ms(reply.busy_ms));
  for (const auto& response : reply.frames) send(slip_encode(response), now);
  if (reply.new_baud) pending_baud_ = reply.new_baud;
  if (reply.run_app) pending_restart_ = DeviceMode::app;
}

void Device::send(const Bytes& bytes, Clock::time_point now) {
  if (tx_queue_.empty()) tx_clock_ = std::max({tx_clock_, now, busy_until_});
  for (std::uint8_t b : bytes) {
    if (faults_mangle(b)) tx_queue_.push_back(b);
  }
}

void Device::flush_output(Clock::time_point now) {
  if (tx_blocked_ || tx_queue_.empty()) return;
  if (now < busy_until_) return;
  std::size_t count = tx_queue_.size();
  if (config_.baud_pacing) {
    if (tx_clock_ > now) return;
    auto due = (now - tx_clock_) / byte_time() + 1;
    count = std::min<std::size_t>(count, static_cast<std::size_t>(due));
  }
  Bytes chunk(tx_queue_.begin(), tx_queue_.begin() + static_cast<std::ptrdiff_t>(count));
  ssize_t written = ::write(master_fd_, chunk.data(), chunk.size());
  if (written < 0) {
    if (errno == EAGAIN) {
      // Nobody drains the port: a UART with no listener loses its bytes. Keep them only while a reader may come.
      tx_blocked_ = tx_queue_.size() < kMaxQueuedInput;
      if (!tx_blocked_) tx_queue_.clear();
    }
    return;
  }
  tx_queue_.erase(tx_queue_.begin(), tx_queue_.begin() + written);
  if (config_.baud_pacing) tx_clock_ += byte_time() * written;
}

void Device::apply_pending_actions(Clock::time_point now) {
  if (!tx_queue_.empty()) return;
  if (pending_baud_) {
    baud_ = *pending_baud_;
    pending_baud_.reset();
    rx_clock_ = std::max(rx_clock_, now);
  }
  if (pending_restart_) {
    DeviceMode next = *pending_restart_;
    reset_into(next, now);
  }
}

void Device::service(Clock::time_point now) {
  apply_circuit(circuit_.on_time(now), now);
  if (held_in_reset_) return;
  if (booting_) {
    if (now < boot_done_) return;
    finish_boot(now);
  }
  process_input(now);
  if (app_) app_->poll(now);
  if (!check_power()) return;
  flush_output(now);
  apply_pending_actions(now);
  if (!booting_ && mode_ == DeviceMode::download) process_input(now);
}

std::optional<Clock::time_point> Device::next_wakeup() const {
  std::optional<Clock::time_point> wake;
  auto consider = [&](Clock::time_point t) { wake = wake ? std::min(*wake, t) : t; };
  if (auto t = circuit_.next_wakeup()) consider(*t);
  if (held_in_reset_) return wake;
  if (booting_) consider(boot_done_);
  if (!rx_queue_.empty()) consider(std::max(busy_until_, config_.baud_pacing ? rx_clock_ : busy_until_));
  if (!tx_queue_.empty() && !tx_blocked_) consider(std::max(busy_until_, config_.baud_pacing ? tx_clock_ : busy_until_));
  if (app_) {
    consider(Clock::now() + kAppPollInterval);
    if (auto t = app_->next_wakeup()) consider(*t);
  }
  return wake;
}

}  // namespace sim
