#include "fw/improv_codec.hpp"

namespace fw::improv {
namespace {

constexpr std::string_view kHeader = "IMPROV";
constexpr std::size_t kPayloadOffset = 9;  // header, version, type, length
constexpr std::size_t kMaxField = 255;

std::uint8_t checksum(std::string_view bytes) {
  unsigned sum = 0;
  for (char c : bytes) sum += static_cast<unsigned char>(c);
  return static_cast<std::uint8_t>(sum & 0xFFU);
}

}  // namespace

DecodeResult decode_frame(std::string_view bytes) {
  DecodeResult result;
  if (bytes.size() < kPayloadOffset + 1 || bytes.substr(0, kHeader.size()) != kHeader) return result;
  const std::size_t length = static_cast<unsigned char>(bytes[8]);
  if (bytes.size() != kPayloadOffset + length + 1) {
    result.error = DecodeError::bad_length;
    return result;
  }
  if (checksum(bytes.substr(0, bytes.size() - 1)) != static_cast<unsigned char>(bytes.back())) {
    result.error = DecodeError::bad_checksum;
    return result;
  }
  Frame frame;
  frame.version = static_cast<std::uint8_t>(bytes[6]);
  frame.type = static_cast<std::uint8_t>(bytes[7]);
  frame.payload = std::string(bytes.substr(kPayloadOffset, length));
  result.frame = std::move(frame);
  return result;
}

std::string encode_frame(FrameType type, std::string_view payload) {
  if (payload.size() > kMaxField) payload = payload.substr(0, kMaxField);
  std::string frame(kHeader);
  frame.push_back(static_cast<char>(kVersion));
  frame.push_back(static_cast<char>(type));
  frame.push_back(static_cast<char>(payload.size()));
  frame.append(payload);
  frame.push_back(static_cast<char>(checksum(frame)));
  return frame;
}

std::optional<Rpc> decode_rpc(std::string_view payload) {
  if (payload.size() < 2) return std::nullopt;
  const std::size_t length = static_cast<unsigned char>(payload[1]);
  if (payload.size() != 2 + length) return std::nullopt;
  return Rpc{static_cast<std::uint8_t>(payload[0]), std::string(payload.substr(2))};
}

std::optional<std::vector<std::string>> decode_strings(std::string_view data) {
  std::vector<std::string> strings;
  std::size_t at = 0;
  while (at < data.size()) {
    const std::size_t length = static_cast<unsigned char>(data[at]);
    if (at + 1 + length > data.size()) return std::nullopt;
    strings.emplace_back(data.substr(at + 1, length));
    at += 1 + length;
  }
  return strings;
}

std::string encode_strings(const std::vector<std::string>& strings) {
  std::string data;
  for (const auto& s : strings) {
    const std::string_view field = std::string_view(s).substr(0, kMaxField);
    data.push_back(static_cast<char>(field.size()));
    data.append(field);
  }
  return data;
}

std::string encode_rpc_result(Command command, const std::vector<std::string>& strings) {
  const std::string data = encode_strings(strings);
  std::string payload;
  payload.push_back(static_cast<char>(command));
  payload.push_back(static_cast<char>(data.size() & 0xFFU));
  payload.append(data);
  return payload;
}

}  // namespace fw::improv
