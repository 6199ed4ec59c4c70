#include "sim/rom_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>
#include <zlib.h>

#include <stdexcept>

namespace sim_test {
namespace {
using Clock = std::chrono::steady_clock;
constexpr std::uint8_t kEnd = 0xC0, kEsc = 0xDB;
}  // namespace

RomClient::RomClient(const std::string& port, std::size_t status_bytes) : status_bytes_(status_bytes) {
  fd_ = ::open(port.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("cannot open " + port);
  termios tio{};
  tcgetattr(fd_, &tio);
  cfmakeraw(&tio);
  cfsetspeed(&tio, B115200);
  tcsetattr(fd_, TCSANOW, &tio);
  tcflush(fd_, TCIOFLUSH);
}

RomClient::~RomClient() {
  if (fd_ >= 0) ::close(fd_);
}

Bytes RomClient::words(std::initializer_list<std::uint32_t> values) {
  Bytes out;
  for (auto v : values) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  return out;
}

std::uint32_t RomClient::checksum(const Bytes& data) {
  std::uint8_t sum = 0xEF;
  for (auto b : data) sum ^= b;
  return sum;
}

void RomClient::send_raw(const Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 100);
    }
  }
}

void RomClient::send_frame(const Bytes& payload) {
  Bytes out{kEnd};
  for (auto b : payload) {
    if (b == kEnd) {
      out.insert(out.end(), {kEsc, 0xDC});
    } else if (b == kEsc) {
      out.insert(out.end(), {kEsc, 0xDD});
    } else {
      out.push_back(b);
    }
  }
  out.push_back(kEnd);
  send_raw(out);
}

std::optional<Bytes> RomClient::read_frame(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    // Look for a complete frame in what arrived so far: C0 ... C0 with at least one byte between.
    for (std::size_t start = 0; start < pending_.size(); ++start) {
      if (pending_[start] != kEnd) continue;
      std::size_t end = start + 1;
      while (end < pending_.size() && pending_[end] != kEnd) ++end;
      if (end >= pending_.size()) break;
      if (end == start + 1) continue;  // empty frame: the delimiter opens the next one
      Bytes frame;
      for (std::size_t i = start + 1; i < end; ++i) {
        if (pending_[i] == kEsc && i + 1 < end) {
          frame.push_back(pending_[++i] == 0xDC ? kEnd : kEsc);
        } else {
          frame.push_back(pending_[i]);
        }
      }
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(end + 1));
      return frame;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) > 0) {
      std::uint8_t buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) pending_.insert(pending_.end(), buf, buf + n);
    }
  }
}

std::optional<RomResponse> RomClient::command(std::uint8_t op, const Bytes& data, std::uint32_t checksum,
                                              std::chrono::milliseconds timeout) {
  Bytes packet{0x00, op, static_cast<std::uint8_t>(data.size()), static_cast<std::uint8_t>(data.size() >> 8)};
  for (int i = 0; i < 4; ++i) packet.push_back(static_cast<std::uint8_t>(checksum >> (8 * i)));
  packet.insert(packet.end(), data.begin(), data.end());
  send_frame(packet);
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto frame = read_frame(left);
    if (!frame) return std::nullopt;
    if (frame->size() < 8 + status_bytes_ || (*frame)[0] != 0x01 || (*frame)[1] != op) continue;
    RomResponse r;
    r.command = op;
    r.value = (*frame)[4] | (*frame)[5] << 8 | (*frame)[6] << 16 | std::uint32_t{(*frame)[7]} << 24;
    std::size_t size = (*frame)[2] | (*frame)[3] << 8;
    if (size + 8 != frame->size()) continue;
    r.data.assign(frame->begin() + 8, frame->end() - static_cast<std::ptrdiff_t>(status_bytes_));
    r.status = (*frame)[8 + size - status_bytes_];
    r.error = (*frame)[8 + size - status_bytes_ + 1];
    return r;
  }
  return std::nullopt;
}

RomResponse RomClient::must(std::uint8_t op, const Bytes& data, std::uint32_t checksum) {
  auto r = command(op, data, checksum);
  if (!r) throw std::runtime_error("no response to command " + std::to_string(op));
  return *r;
}

int RomClient::sync(std::uint32_t* first_value) {
  Bytes payload{0x07, 0x07, 0x12, 0x20};
  payload.insert(payload.end(), 32, 0x55);
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto first = command(0x08, payload, 0, std::chrono::milliseconds(300));
    if (!first) continue;
    if (first_value) *first_value = first->value;
    int count = 1;
    while (auto frame = read_frame(std::chrono::milliseconds(200))) {
      if (frame->size() >= 2 && (*frame)[1] == 0x08) ++count;
    }
    return count;
  }
  return 0;
}

std::uint32_t RomClient::read_reg(std::uint32_t address) {
  auto r = must(0x0A, words({address}));
  if (!r.ok()) throw std::runtime_error("READ_REG failed");
  return r.value;
}

void RomClient::write_reg(std::uint32_t address, std::uint32_t value) {
  if (!must(0x09, words({address, value, 0xFFFFFFFF, 0})).ok()) throw std::runtime_error("WRITE_REG failed");
}

std::uint32_t RomClient::spi_flash_id(std::uint32_t base, std::uint32_t usr, std::uint32_t usr2, std::uint32_t miso,
                                      std::uint32_t w0) {
  write_reg(base + usr, (1u << 31) | (1u << 28));    // command phase + MISO phase
  write_reg(base + usr2, (7u << 28) | 0x9F);          // 8-bit command RDID
  write_reg(base + miso, 24 - 1);                     // read 24 bits
  write_reg(base + w0, 0);
  write_reg(base, 1u << 18);                          // start the user command
  for (int i = 0; i < 10 && (read_reg(base) & (1u << 18)); ++i) {
  }
  return read_reg(base + w0) & 0xFFFFFF;
}

RomResponse RomClient::write_flash(std::uint32_t offset, const Bytes& data, std::uint32_t block) {
  const std::uint32_t blocks = static_cast<std::uint32_t>((data.size() + block - 1) / block);
  auto begin = must(0x02, words({static_cast<std::uint32_t>(data.size()), blocks, block, offset}));
  if (!begin.ok()) return begin;
  for (std::uint32_t seq = 0; seq < blocks; ++seq) {
    Bytes chunk(data.begin() + seq * block, data.begin() + std::min<std::size_t>(data.size(), (seq + 1) * block));
    chunk.resize(block, 0xFF);
    Bytes packet = words({block, seq, 0, 0});
    packet.insert(packet.end(), chunk.begin(), chunk.end());
    auto r = must(0x03, packet, checksum(chunk));
    if (!r.ok()) return r;
  }
  return begin;
}

RomResponse RomClient::write_flash_deflated(std::uint32_t offset, const Bytes& data, std::uint32_t block) {
  uLongf packed_size = compressBound(data.size());
  Bytes packed(packed_size);
  compress2(packed.data(), &packed_size, data.data(), data.size(), 9);
  packed.resize(packed_size);
  const std::uint32_t blocks = static_cast<std::uint32_t>((packed.size() + block - 1) / block);
  auto begin = must(0x10, words({static_cast<std::uint32_t>(data.size()), blocks, block, offset}));
  if (!begin.ok()) return begin;
  for (std::uint32_t seq = 0; seq < blocks; ++seq) {
    Bytes chunk(packed.begin() + seq * block, packed.begin() + std::min<std::size_t>(packed.size(), (seq + 1) * block));
    Bytes packet = words({static_cast<std::uint32_t>(chunk.size()), seq, 0, 0});
    packet.insert(packet.end(), chunk.begin(), chunk.end());
    auto r = must(0x11, packet, checksum(chunk));
    if (!r.ok()) return r;
  }
  return begin;
}

std::string RomClient::flash_md5(std::uint32_t offset, std::uint32_t length) {
  auto r = must(0x13, words({offset, length, 0, 0}));
  if (!r.ok()) throw std::runtime_error("SPI_FLASH_MD5 failed");
  return std::string(r.data.begin(), r.data.end());
}

Bytes RomClient::read_flash_slow(std::uint32_t offset, std::uint32_t length) {
  Bytes out;
  while (out.size() < length) {
    auto n = std::min<std::uint32_t>(64, length - static_cast<std::uint32_t>(out.size()));
    auto r = must(0x0E, words({offset + static_cast<std::uint32_t>(out.size()), n}));
    if (!r.ok()) throw std::runtime_error("READ_FLASH_SLOW failed");
    out.insert(out.end(), r.data.begin(), r.data.begin() + n);
  }
  return out;
}

std::string RomClient::read_text(std::chrono::milliseconds window) {
  std::string text(pending_.begin(), pending_.end());
  pending_.clear();
  const auto deadline = Clock::now() + window;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return text;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) > 0) {
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) text.append(buf, static_cast<std::size_t>(n));
    }
  }
}

void RomClient::flush_input() {
  pending_.clear();
  tcflush(fd_, TCIFLUSH);
}

}  // namespace sim_test
