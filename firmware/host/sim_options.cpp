#include "sim_options.hpp"

#include <charconv>
#include <stdexcept>
#include <vector>

#include "chip_table.hpp"

namespace sim {
namespace {

std::uint64_t parse_number(const std::string& flag, std::string text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text = text.substr(2);
  }
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument(flag + " expects a number (decimal or 0x hex), got '" + text + "'");
  }
  return value;
}

std::uint32_t parse_flash_size(const std::string& text) {
  static const std::vector<std::pair<std::string, std::uint32_t>> sizes = {
      {"1MB", 1u << 20}, {"2MB", 2u << 20}, {"4MB", 4u << 20}, {"8MB", 8u << 20}, {"16MB", 16u << 20}};
  for (const auto& [name, bytes] : sizes) {
    if (text == name) return bytes;
  }
  throw std::invalid_argument("--flash-size must be one of 1MB, 2MB, 4MB, 8MB, 16MB; got '" + text + "'");
}

double parse_probability(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || value < 0 || value > 1) {
    throw std::invalid_argument(flag + " expects a probability between 0 and 1, got '" + text + "'");
  }
  return value;
}

bool parse_on_off(const std::string& flag, const std::string& text) {
  if (text == "on") return true;
  if (text == "off") return false;
  throw std::invalid_argument(flag + " expects on or off, got '" + text + "'");
}

}  // namespace

std::string usage_text() {
  return "usage: espprov-sim --count N --chip CHIP --state DIR [options]\n"
         "  --count N              number of simulated devices (1..256)\n"
         "  --chip CHIP            esp32, esp32s2, esp32s3, esp32c2, esp32c3, esp32c6, esp32h2\n"
         "  --state DIR            folder for the flash images and the control socket\n"
         "  --boot download|app    mode the devices start in (default download)\n"
         "  --aps FILE             access points (JSON array) instead of the built-in table\n"
         "  --baud-pacing on|off   bytes move at the configured baud (default on)\n"
         "  --flash-timing on|off  datasheet erase/program times and boot times (default on)\n"
         "  --flash-size SIZE      1MB, 2MB, 4MB, 8MB, 16MB (default 4MB; grown to fit the prov partition)\n"
         "  --seed S               MAC derivation seed (default 1)\n"
         "  --prov-offset X --prov-size Y   credentials partition (default 0x3F0000, 0x10000)\n"
         "  --fault-drop P         drop each byte with probability P\n"
         "  --fault-corrupt P      flip one bit of each byte with probability P\n"
         "  --fault-reset-after K  reset once after K received bytes\n"
         "  --fault-stall K        stop answering after K received bytes, until reset\n"
         "  --fault-scope all|rom  where drops and corruption apply: every byte (default) or only in download mode\n"
         "  --fault-power-cut-after N  cut the power in the flash operation after N program/erase operations\n"
         "                         (a program leaves part of its bits, an erase random bits); off until reset\n"
         "  --reset-circuit auto-reset|slow-en|usb-serial-jtag\n"
         "                         what the control's `lines DTR RTS` do: the DevKit two-transistor circuit (default),\n"
         "                         the same with a slow EN (needs the long reset delay), the native USB-Serial/JTAG\n"
         "  --secure-download on|off   the ROM runs Secure Download Mode (default off; not on esp32)\n"
         "  --flash-encryption on|off  GET_SECURITY_INFO reports flash encryption enabled (default off)\n"
         "example (prints the boards, ports included, as one JSON line, then serves them until SIGTERM):\n"
         "  espprov-sim --count 4 --chip esp32c3 --state sim\n";
}

std::variant<SimOptions, UsageRequest> parse_sim_options(int argc, char** argv) {
  SimOptions options;
  bool have_state = false;
  bool flash_size_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return UsageRequest{usage_text()};
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value (or is unknown); see --help");
    std::string value = argv[++i];
    if (flag == "--count") {
      auto n = parse_number(flag, value);
      if (n < 1 || n > 256) throw std::invalid_argument("--count must be 1..256, got " + value);
      options.count = static_cast<int>(n);
    } else if (flag == "--chip") {
      if (!find_chip(value)) throw std::invalid_argument("--chip: unknown chip '" + value + "'; see --help");
      options.chip = value;
    } else if (flag == "--state") {
      options.state_dir = value;
      have_state = true;
    } else if (flag == "--boot") {
      if (value != "download" && value != "app") throw std::invalid_argument("--boot expects download or app");
      options.boot_mode = value == "app" ? DeviceMode::app : DeviceMode::download;
    } else if (flag == "--aps") {
      options.access_points_file = value;
    } else if (flag == "--baud-pacing") {
      options.baud_pacing = parse_on_off(flag, value);
    } else if (flag == "--flash-timing") {
      options.realistic_timing = parse_on_off(flag, value);
    } else if (flag == "--flash-size") {
      options.flash_size = parse_flash_size(value);
      flash_size_given = true;
    } else if (flag == "--seed") {
      options.seed = parse_number(flag, value);
    } else if (flag == "--prov-offset") {
      options.prov.offset = static_cast<std::uint32_t>(parse_number(flag, value));
    } else if (flag == "--prov-size") {
      options.prov.size = static_cast<std::uint32_t>(parse_number(flag, value));
    } else if (flag == "--fault-drop") {
      options.faults.drop_probability = parse_probability(flag, value);
    } else if (flag == "--fault-corrupt") {
      options.faults.corrupt_probability = parse_probability(flag, value);
    } else if (flag == "--fault-reset-after") {
      options.faults.reset_after_bytes = parse_number(flag, value);
    } else if (flag == "--fault-scope") {
      if (value != "all" && value != "rom") throw std::invalid_argument("--fault-scope expects all or rom");
      options.faults.rom_only = value == "rom";
    } else if (flag == "--fault-power-cut-after") {
      options.faults.power_cut_after_ops = parse_number(flag, value);
    } else if (flag == "--reset-circuit") {
      auto kind = parse_reset_circuit(value);
      if (!kind) throw std::invalid_argument("--reset-circuit expects auto-reset, slow-en or usb-serial-jtag");
      options.reset_circuit = *kind;
    } else if (flag == "--fault-stall") {
      options.faults.stall_after_bytes = parse_number(flag, value);
    } else if (flag == "--secure-download") {
      options.security.secure_download = parse_on_off(flag, value);
    } else if (flag == "--flash-encryption") {
      options.security.flash_encryption = parse_on_off(flag, value);
    } else {
      throw std::invalid_argument("unknown option " + flag + "; see --help");
    }
  }
  if (!have_state) throw std::invalid_argument("--state DIR is required; see --help");
  if (options.chip == "esp32" && (options.security.secure_download || options.security.flash_encryption)) {
    // The ESP32 ROM has no GET_SECURITY_INFO to report either (and no Secure Download Mode).
    throw std::invalid_argument("--secure-download and --flash-encryption need a chip whose ROM has "
                                "GET_SECURITY_INFO (not esp32)");
  }
  if (!flash_size_given) options.flash_size = flash_size_for(options.prov, options.flash_size);
  if (auto problem = check_partition_layout(options.prov, options.flash_size); !problem.empty()) {
    throw std::invalid_argument(problem);
  }
  return options;
}

}  // namespace sim
