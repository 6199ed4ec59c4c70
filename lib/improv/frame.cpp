// The Improv serial frame codec: pure, bytes in and out.
#include <fmt/format.h>

#include <algorithm>

#include "provision/error.hpp"
#include "provision/improv/frame.hpp"

namespace provision::improv {
namespace {

constexpr std::size_t kHeaderBytes = 9;  // "IMPROV", version, type, length

bool known_type(std::uint8_t type) {
  return type >= 0x01 && type <= 0x04;
}

Bytes::iterator find_header(Bytes& buffer) {
  return std::search(buffer.begin(), buffer.end(), kHeader.begin(), kHeader.end(),
                     [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); });
}

}  // namespace

const char* to_string(State state) {
  switch (state) {
    case State::authorization_required:
      return "authorization_required";
    case State::authorized:
      return "authorized";
    case State::provisioning:
      return "provisioning";
    case State::provisioned:
      return "provisioned";
  }
  return "unknown";
}

const char* to_string(ErrorState error) {
  switch (error) {
    case ErrorState::none:
      return "none";
    case ErrorState::invalid_rpc:
      return "invalid_rpc";
    case ErrorState::unknown_rpc:
      return "unknown_rpc";
    case ErrorState::unable_to_connect:
      return "unable_to_connect";
    case ErrorState::bad_hostname:
      return "bad_hostname";
    case ErrorState::unknown:
      return "unknown";
  }
  return "unknown";
}

std::uint8_t checksum(std::span<const std::uint8_t> bytes) {
  unsigned sum = 0;
  for (auto b : bytes) sum += b;
  return static_cast<std::uint8_t>(sum & 0xFF);
}

Bytes encode_frame(PacketType type, std::span<const std::uint8_t> data) {
  if (data.size() > kMaxData) {
    throw Error(ErrorCode::bad_input,
                fmt::format("improv: {} bytes do not fit one frame (at most {})", data.size(), kMaxData));
  }
  Bytes frame(kHeader.begin(), kHeader.end());
  frame.push_back(kVersion);
  frame.push_back(static_cast<std::uint8_t>(type));
  frame.push_back(static_cast<std::uint8_t>(data.size()));
  frame.insert(frame.end(), data.begin(), data.end());
  frame.push_back(checksum(frame));
  return frame;
}

Bytes encode_rpc(Command command, std::span<const std::uint8_t> data) {
  if (data.size() > kMaxData - 2) {
    throw Error(ErrorCode::bad_input, fmt::format("improv: a {}-byte RPC payload does not fit one frame (at most {})",
                                                  data.size(), kMaxData - 2));
  }
  Bytes rpc{static_cast<std::uint8_t>(command), static_cast<std::uint8_t>(data.size())};
  rpc.insert(rpc.end(), data.begin(), data.end());
  return encode_frame(PacketType::rpc_command, rpc);
}

Bytes wifi_settings_data(std::string_view ssid, std::string_view password) {
  if (ssid.size() > 255 || password.size() > 255) {
    throw Error(ErrorCode::bad_input, "improv: an SSID or password longer than 255 bytes cannot be sent");
  }
  Bytes data;
  data.push_back(static_cast<std::uint8_t>(ssid.size()));
  data.insert(data.end(), ssid.begin(), ssid.end());
  data.push_back(static_cast<std::uint8_t>(password.size()));
  data.insert(data.end(), password.begin(), password.end());
  return data;
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<Decoded> FrameDecoder::next() {
  auto header = find_header(buffer_);
  if (header == buffer_.end()) {
    // Keep a tail that may be the start of a header split across reads.
    if (buffer_.size() > kHeader.size() - 1) buffer_.erase(buffer_.begin(), buffer_.end() - (kHeader.size() - 1));
    return std::nullopt;
  }
  buffer_.erase(buffer_.begin(), header);
  if (buffer_.size() < kHeaderBytes) return std::nullopt;
  std::uint8_t version = buffer_[6], type = buffer_[7], length = buffer_[8];
  // On a problem, drop the 'I' only: a real frame may start inside the bytes that looked like this one.
  if (version != kVersion) {
    buffer_.erase(buffer_.begin());
    return FrameProblem{fmt::format("improv frame with version {} (expected {})", version, kVersion)};
  }
  if (!known_type(type)) {
    buffer_.erase(buffer_.begin());
    return FrameProblem{fmt::format("improv frame with unknown type 0x{:02x}", type)};
  }
  std::size_t total = kHeaderBytes + length + 1;
  if (buffer_.size() < total) return std::nullopt;
  auto expected = checksum(std::span(buffer_.data(), total - 1));
  if (buffer_[total - 1] != expected) {
    auto received = buffer_[total - 1];
    buffer_.erase(buffer_.begin());
    return FrameProblem{
        fmt::format("improv frame (type 0x{:02x}, {} data bytes) with checksum 0x{:02x}; the bytes "
                    "sum to 0x{:02x}",
                    type, length, received, expected)};
  }
  Frame frame{static_cast<PacketType>(type), Bytes(buffer_.begin() + kHeaderBytes, buffer_.begin() + total - 1)};
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(total));
  return frame;
}

bool FrameDecoder::has_partial_frame() const {
  return buffer_.size() >= kHeader.size() &&
         std::equal(kHeader.begin(), kHeader.end(), buffer_.begin(),
                    [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; });
}

RpcResult parse_rpc_result(std::span<const std::uint8_t> data) {
  if (data.size() < 2) {
    throw Error(ErrorCode::protocol,
                fmt::format("improv RPC result of {} bytes (needs command and length)", data.size()));
  }
  RpcResult result;
  result.command = data[0];
  std::size_t length = data[1];
  if (length != data.size() - 2) {
    throw Error(ErrorCode::protocol, fmt::format("improv RPC result for command 0x{:02x} says {} data bytes but "
                                                 "carries {}",
                                                 result.command, length, data.size() - 2));
  }
  std::size_t pos = 2;
  while (pos < data.size()) {
    std::size_t size = data[pos++];
    if (pos + size > data.size()) {
      throw Error(ErrorCode::protocol, fmt::format("improv RPC result for command 0x{:02x}: a string of {} bytes "
                                                   "runs past the end ({} left)",
                                                   result.command, size, data.size() - pos));
    }
    result.strings.emplace_back(reinterpret_cast<const char*>(data.data() + pos), size);
    pos += size;
  }
  return result;
}

}  // namespace provision::improv
