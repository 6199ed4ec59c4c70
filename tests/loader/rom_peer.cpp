#include "loader/rom_peer.hpp"

#include <zlib.h>

namespace loader_test {

namespace loader = provision::loader;
using loader::Command;

namespace {

constexpr std::uint32_t kSpiBase = 0x60002000;  // ESP32-C3 SPI_MEM; W0 at +0x58
constexpr std::uint32_t kSpiW0Esp32C3 = kSpiBase + 0x58;
constexpr std::uint32_t kEsp32SpiW0 = 0x3FF42000 + 0x80;
constexpr std::uint32_t kJedecWinbond4MB = 0x1640EF;

}  // namespace

RomPeer::RomPeer(bool esp32) : esp32_(esp32) {
  if (esp32_) mac_word1 |= std::uint32_t{loader::mac_crc8({0x7C, 0xDF, 0x12, 0x34, 0x56, 0x78})} << 16;
}

void RomPeer::plan(Command command, int occurrence, PeerFault fault) {
  faults_[{static_cast<std::uint8_t>(command), occurrence}] = fault;
}

int RomPeer::count(Command command) const {
  auto it = seen_.find(static_cast<std::uint8_t>(command));
  return it == seen_.end() ? 0 : it->second;
}

RomPeer::Bytes RomPeer::flash_image() const {
  Bytes out(image_size_);
  uLongf size = image_size_;
  if (uncompress(out.data(), &size, deflated_.data(), static_cast<uLong>(deflated_.size())) != Z_OK) return {};
  out.resize(size);
  return out;
}

RomPeer::Bytes RomPeer::on_write(const Bytes& written) {
  decoder_.feed(written);
  Bytes out;
  while (decoder_.has_frame()) {
    auto frame = decoder_.pop_frame();
    if (frame.fault != loader::SlipFault::none || frame.payload.size() < 8) continue;
    auto reply = answer(frame.payload);
    out.insert(out.end(), reply.begin(), reply.end());
  }
  return out;
}

std::uint32_t RomPeer::read_register(std::uint32_t address) const {
  if (address == loader::kChipDetectMagicAddress) return esp32_ ? 0x00F01D83 : 0x6921506F;
  const auto& chip = *loader::find_chip_by_name(esp32_ ? "esp32" : "esp32c3");
  if (address == chip.mac_word0_address) return mac_word0;
  if (address == chip.mac_word1_address) return mac_word1;
  if (address == (esp32_ ? kEsp32SpiW0 : kSpiW0Esp32C3)) return kJedecWinbond4MB;
  return 0;  // SPI_CMD reads 0: a user command is done at once
}

RomPeer::Bytes RomPeer::apply(std::uint8_t command, const Bytes& data, std::uint32_t& value, std::uint8_t& error) {
  Bytes payload;
  switch (static_cast<Command>(command)) {
    case Command::sync: value = 0x55552007; break;
    case Command::read_reg: value = read_register(loader::get_u32(data, 0)); break;
    case Command::get_security_info:
      if (esp32_) {
        error = 0x05;
      } else {
        payload.assign(12, 0);
        loader::put_u32(payload, 5);  // ESP32-C3's chip id
        loader::put_u32(payload, 0);
      }
      break;
    case Command::flash_defl_begin:
      deflated_.clear();
      next_sequence_ = 0;
      image_size_ = loader::get_u32(data, 0);
      break;
    case Command::flash_defl_data: {
      std::uint32_t sequence = loader::get_u32(data, 4);
      if (sequence == next_sequence_) {
        deflated_.insert(deflated_.end(), data.begin() + 16, data.end());
        ++next_sequence_;
      } else if (sequence + 1 != next_sequence_) {
        error = 0x05;  // out of order; the block just applied may come again
      }
      break;
    }
    case Command::spi_flash_md5: {
      auto md5 = loader::md5_hex(flash_image());
      payload.assign(md5.begin(), md5.end());
      break;
    }
    default: break;
  }
  return payload;
}

RomPeer::Bytes RomPeer::answer(const Bytes& frame) {
  const std::uint8_t command = frame[1];
  const int occurrence = ++seen_[command];
  auto planned = faults_.find({command, occurrence});
  std::optional<PeerFault> fault;
  if (planned != faults_.end()) fault = planned->second;
  if (fault == PeerFault::stall) stalled_ = true;
  if (stalled_ || fault == PeerFault::lose_request) return {};
  std::uint32_t value = 0;
  std::uint8_t error = 0;
  Bytes payload;
  if (fault == PeerFault::checksum_error) {
    error = 0x07;
  } else if (fault == PeerFault::refuse_failed_to_act) {
    error = 0x06;
  } else if (fault == PeerFault::corrupt_data) {
    deflated_.clear();  // the stream cannot inflate any more: the ROM reports a deflate error until a new begin
    error = 0x0B;
    next_sequence_ = ~0u - 1;
  } else {
    payload = apply(command, Bytes(frame.begin() + 8, frame.end()), value, error);
  }
  if (fault == PeerFault::lose_answer) return {};
  if (fault == PeerFault::flip_value_bit) value ^= 1;
  Bytes response{0x01, command, 0, 0};
  loader::put_u32(response, value);
  response.insert(response.end(), payload.begin(), payload.end());
  response.insert(response.end(), {static_cast<std::uint8_t>(error ? 1 : 0), error, 0, 0});
  const auto size = response.size() - 8;
  response[2] = static_cast<std::uint8_t>(size);
  response[3] = static_cast<std::uint8_t>(size >> 8);
  Bytes framed = loader::slip_encode(response);
  if (fault == PeerFault::damage_answer) framed.insert(framed.begin() + 3, {loader::kSlipEsc, 0x00});
  int repeats = command == static_cast<std::uint8_t>(Command::sync) ? 8 : 1;  // the ROM answers SYNC eight times
  Bytes out;
  for (int i = 0; i < repeats; ++i) out.insert(out.end(), framed.begin(), framed.end());
  return out;
}

}  // namespace loader_test
