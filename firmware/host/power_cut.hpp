// A power cut at the flash level (the `--fault-power-cut-after` fault): counts program and erase operations, lets
// a chosen number of them complete and cuts the next one short the way NOR flash is left when the supply drops in
// the middle: a program has cleared a random subset of the bits it was clearing (bits only go 1 -> 0), an erase has
// left the sector it was working on with random bits (sectors before it erased, those after it untouched). From
// then on the board is off: every operation fails and changes nothing until the power comes back (a reset).
// Pure: works on the bytes it is given; the flash image and the test platform both use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

namespace sim {

// What the cut operation leaves: part of it (the fault's normal case), or nothing (the supply dropped just before
// it; tests use it to reach one exact state).
enum class CutEffect { partial, nothing };

class PowerCut {
 public:
  explicit PowerCut(std::uint64_t seed = 1) : rng_(seed) {}

  // The next `operations` program/erase operations complete; the one after them is cut.
  void arm(std::uint64_t operations, CutEffect effect = CutEffect::partial) {
    cut_at_ = operations_ + operations;
    effect_ = effect;
  }
  void disarm() { cut_at_.reset(); }
  bool armed() const { return cut_at_.has_value(); }
  bool powered() const { return powered_; }
  void restore_power() { powered_ = true; }
  // Program and erase operations started so far (a cut one included; refused ones while off not).
  std::uint64_t operations() const { return operations_; }

  // NOR program of `length` bytes over `flash` (each byte becomes old AND new). False when the power is off or
  // goes off during this operation (then part of it happened).
  bool program(std::uint8_t* flash, const std::uint8_t* data, std::size_t length);
  // Erase of whole sectors at `flash` (`length` a multiple of `sector_bytes`). False as for program().
  bool erase(std::uint8_t* flash, std::size_t length, std::size_t sector_bytes = 4096);

 private:
  bool cut_this_operation();  // counts one operation; true (and power off) when it is the one to cut

  std::optional<std::uint64_t> cut_at_;
  CutEffect effect_ = CutEffect::partial;
  std::uint64_t operations_ = 0;
  bool powered_ = true;
  std::mt19937_64 rng_;
};

}  // namespace sim
