// One simulated board: a pseudo-terminal for its USB-UART, a flash chip, and the mode it runs in (the ROM's download
// mode or the application). The simulator's event loop calls it when its pty is readable and when it asked to wake.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "access_points.hpp"
#include "app_session.hpp"
#include "chip_table.hpp"
#include "flash_image.hpp"
#include "register_space.hpp"
#include "reset_circuit.hpp"
#include "rom_loader.hpp"
#include "slip_codec.hpp"

namespace sim {

enum class DeviceMode { download, app };

struct FaultInjection {
  double drop_probability = 0;     // per byte, both directions
  double corrupt_probability = 0;  // per byte, both directions: one bit flipped
  std::uint64_t reset_after_bytes = 0;  // received bytes before one spontaneous reset (0 = never)
  std::uint64_t stall_after_bytes = 0;  // received bytes before the device goes silent until reset (0 = never)
  bool rom_only = false;  // drop/corrupt only while in download mode (the ROM protocol), not the app's console
  std::optional<std::uint64_t> power_cut_after_ops;  // flash program/erase operations before a power cut
};

struct DeviceConfig {
  int index = 0;
  ChipFacts chip;
  std::array<std::uint8_t, 6> mac{};
  std::uint32_t flash_size = 4u << 20;
  DeviceMode boot_mode = DeviceMode::download;
  bool baud_pacing = true;
  bool realistic_timing = true;  // flash erase/program and boot times
  FaultInjection faults;
  std::uint64_t seed = 0;
  ResetCircuitKind reset_circuit = ResetCircuitKind::auto_reset;  // what the host's DTR/RTS do (`lines`)
  BoardSecurity security;
};

// The board's end of its USB-UART: a pty whose master the simulator drives. Outlives a board when boards are
// swapped on one port (the station's port name stays).
struct PtyHandle {
  int master_fd = -1;
  int held_slave_fd = -1;
  std::string port;
};

class Device {
 public:
  Device(const DeviceConfig& config, std::unique_ptr<FlashImage> flash, const std::vector<AccessPoint>& aps);
  // A board plugged into an existing port (see Simulator's `swap`).
  Device(const DeviceConfig& config, std::unique_ptr<FlashImage> flash, const std::vector<AccessPoint>& aps,
         PtyHandle pty);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& port() const { return port_; }
  const DeviceConfig& config() const { return config_; }
  const FlashImage& flash() const { return *flash_; }
  int master_fd() const { return master_fd_; }
  DeviceMode mode() const { return mode_; }
  bool wants_input() const { return rx_queue_.size() < kMaxQueuedInput; }
  bool wants_output_space() const { return tx_blocked_; }

  void on_readable(Clock::time_point now);
  void on_writable(Clock::time_point now);
  void service(Clock::time_point now);
  std::optional<Clock::time_point> next_wakeup() const;

  // Reset as a reset circuit does it: GPIO0 low (download) or released (app).
  enum class ResetOrigin { chip, host_lines };
  void reset_into(DeviceMode mode, Clock::time_point now, ResetOrigin origin = ResetOrigin::chip);
  // The flash-level power cut (power_cut.hpp): after it the board is off (silent, input lost) until a reset.
  void arm_power_cut(std::uint64_t operations) { flash_->power_cut().arm(operations); }
  void disarm_power_cut() { flash_->power_cut().disarm(); }
  std::uint64_t flash_operations() const { return flash_->power_cut().operations(); }
  bool powered() const { return flash_->power_cut().powered(); }
  // The host set DTR/RTS (the control's `lines`): the board's reset circuit decides what happens.
  void set_lines(bool dtr, bool rts, Clock::time_point now);
  // Unplugs the board: its pty is handed over and this device no longer owns it.
  PtyHandle release_pty();

 private:
  static constexpr std::size_t kMaxQueuedInput = 1 << 16;

  Clock::duration byte_time() const;
  bool faults_mangle(std::uint8_t& byte);
  void process_input(Clock::time_point now);
  void handle_loader_frame(const Bytes& frame, Clock::time_point now);
  void send(const Bytes& bytes, Clock::time_point now);
  void flush_output(Clock::time_point now);
  void finish_boot(Clock::time_point now);
  void apply_pending_actions(Clock::time_point now);
  void count_received_byte(Clock::time_point now);
  bool check_power();
  void apply_circuit(ResetCircuit::Action action, Clock::time_point now);

  DeviceConfig config_;
  std::unique_ptr<FlashImage> flash_;
  const std::vector<AccessPoint>& access_points_;
  RegisterSpace registers_;
  RomLoader loader_;
  SlipDecoder slip_;
  std::unique_ptr<AppSession> app_;

  int master_fd_ = -1;
  int held_slave_fd_ = -1;  // keeps the pty alive while no client has it open
  std::string port_;

  ResetCircuit circuit_;
  bool held_in_reset_ = false;  // EN held low through the lines: silent until released
  DeviceMode mode_ = DeviceMode::download;
  bool booting_ = true;
  bool stalled_ = false;
  std::uint32_t baud_ = 115200;
  Clock::time_point boot_done_{};
  Clock::time_point busy_until_{};
  Clock::time_point rx_clock_{};
  Clock::time_point tx_clock_{};
  std::deque<std::uint8_t> rx_queue_;
  std::deque<std::uint8_t> tx_queue_;
  bool tx_blocked_ = false;

  // What happens once the queued replies have left (a ROM switches baud or jumps after answering).
  std::optional<std::uint32_t> pending_baud_;
  std::optional<DeviceMode> pending_restart_;

  std::uint64_t received_bytes_ = 0;
  bool reset_fault_done_ = false;
  std::mt19937_64 fault_rng_;
};

}  // namespace sim
