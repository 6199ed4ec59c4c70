// Deterministic factory MACs for simulated devices: the same seed gives the same MACs run after run.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sim {

using Mac = std::array<std::uint8_t, 6>;

// `count` distinct station MACs under Espressif OUIs, derived from SHA-256 of the seed and the device index.
std::vector<Mac> derive_macs(std::uint64_t seed, int count);

std::string format_mac(const Mac& mac);           // "A0:B7:65:01:02:03"
std::string mac_file_stem(const Mac& mac);        // "a0b765010203"

}  // namespace sim
