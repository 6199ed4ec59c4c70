// A small model of an ESP32-C3 (or ESP32) ROM loader for the ScriptedLink: enough of the protocol for the
// loader's session (SYNC, detection, MAC, flash id, deflated writes, MD5), with faults planned per command and
// occurrence. For unit tests of the loader's resend logic; the simulator stays the integration peer.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "provision/loader.hpp"

namespace loader_test {

enum class PeerFault {
  checksum_error,   // the request arrived mangled: answer status 1, error 0x07, apply nothing
  lose_request,     // the request never arrived: no answer, nothing applied
  lose_answer,      // the request is applied, its answer never arrives
  damage_answer,    // the request is applied, its answer arrives with a bad SLIP escape
  flip_value_bit,   // the request is applied, its answer's value has bit 0 flipped (still a valid frame)
  stall,            // from this request on the board answers nothing (until reset)
  corrupt_data,     // two flips of one bit passed the checksum: the ROM applies mangled data (FLASH_DEFL_DATA)
  refuse_failed_to_act,  // a flipped bit in a size or offset: the ROM refuses with 0x06 and applies nothing
};

class RomPeer {
 public:
  using Bytes = std::vector<std::uint8_t>;
  explicit RomPeer(bool esp32 = false);

  // The `occurrence`-th request (1-based) with this command meets `fault`.
  void plan(provision::loader::Command command, int occurrence, PeerFault fault);
  // The peer's answer to the bytes the host wrote (any number of frames).
  Bytes on_write(const Bytes& written);

  std::uint32_t mac_word0 = 0x12345678;  // MAC bytes 2..5 of 7C:DF:12:34:56:78 (an Espressif OUI, unicast)
  std::uint32_t mac_word1 = 0x7CDF;
  int count(provision::loader::Command command) const;
  Bytes flash_image() const;  // the deflated stream received so far, inflated

 private:
  Bytes answer(const Bytes& frame);
  Bytes apply(std::uint8_t command, const Bytes& data, std::uint32_t& value, std::uint8_t& error);
  std::uint32_t read_register(std::uint32_t address) const;

  bool esp32_;
  bool stalled_ = false;
  provision::loader::SlipDecoder decoder_;
  std::map<std::uint8_t, int> seen_;
  std::map<std::pair<std::uint8_t, int>, PeerFault> faults_;
  Bytes deflated_;
  std::uint32_t next_sequence_ = 0;
  std::uint32_t image_size_ = 0;
};

}  // namespace loader_test
