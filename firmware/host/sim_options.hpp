// Command-line options of espprov-sim.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>

#include "device.hpp"
#include "partition_table.hpp"

namespace sim {

struct SimOptions {
  int count = 1;
  std::string chip = "esp32c3";
  std::filesystem::path state_dir;
  DeviceMode boot_mode = DeviceMode::download;
  std::optional<std::filesystem::path> access_points_file;
  bool baud_pacing = true;
  bool realistic_timing = true;
  std::uint32_t flash_size = 4u << 20;
  std::uint64_t seed = 1;
  ProvPartition prov;
  FaultInjection faults;
  ResetCircuitKind reset_circuit = ResetCircuitKind::auto_reset;
  BoardSecurity security;
};

struct UsageRequest {
  std::string text;  // --help
};

// Parses argv; returns the options, a usage text (for --help), or throws std::invalid_argument naming the bad flag.
std::variant<SimOptions, UsageRequest> parse_sim_options(int argc, char** argv);

std::string usage_text();

}  // namespace sim
