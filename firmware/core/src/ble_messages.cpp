#include "fw/ble_messages.hpp"

#include <algorithm>

namespace fw::blemsg {
namespace {

constexpr std::uint8_t kSequenceMask = 0x7F;
constexpr std::size_t kMaxTlvValueBytes = 255;  // one length byte

}  // namespace

std::string encode_tlv(Field type, std::string_view value) {
  const std::size_t length = std::min(value.size(), kMaxTlvValueBytes);  // callers pass bounded values
  std::string out;
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(length));
  out.append(value.substr(0, length));
  return out;
}

std::string encode_u8(Field type, std::uint8_t value) {
  return encode_tlv(type, std::string(1, static_cast<char>(value)));
}

std::optional<std::vector<Tlv>> decode_tlvs(std::string_view bytes) {
  std::vector<Tlv> fields;
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (at + 2 > bytes.size()) return std::nullopt;
    const std::size_t length = static_cast<std::uint8_t>(bytes[at + 1]);
    if (at + 2 + length > bytes.size()) return std::nullopt;
    fields.push_back({static_cast<std::uint8_t>(bytes[at]), std::string(bytes.substr(at + 2, length))});
    at += 2 + length;
  }
  return fields;
}

std::optional<Request> decode_request(std::string_view message) {
  if (message.size() < 2) return std::nullopt;
  auto fields = decode_tlvs(message.substr(2));
  if (!fields) return std::nullopt;
  return Request{static_cast<Op>(message[0]), static_cast<std::uint8_t>(message[1]), std::move(*fields)};
}

std::string encode_response(std::uint8_t op, std::uint8_t id, Status status, std::string_view fields) {
  std::string out;
  out.push_back(static_cast<char>(op));
  out.push_back(static_cast<char>(id));
  out.push_back(static_cast<char>(status));
  out.append(fields);
  return out;
}

std::optional<std::string> find_field(const std::vector<Tlv>& fields, Field type, bool& duplicate) {
  std::optional<std::string> found;
  for (const auto& field : fields) {
    if (field.type != static_cast<std::uint8_t>(type)) continue;
    if (found) duplicate = true;
    found = field.value;
  }
  return found;
}

std::vector<std::string> fragment(std::string_view message, std::size_t fragment_bytes) {
  const std::size_t payload = fragment_bytes > 1 ? fragment_bytes - 1 : 1;
  std::vector<std::string> fragments;
  std::size_t at = 0;
  std::uint8_t sequence = 0;
  do {
    const std::size_t take = std::min(payload, message.size() - at);
    const bool more = at + take < message.size();
    std::string piece(1, static_cast<char>((more ? kMoreFragments : 0) | (sequence & kSequenceMask)));
    piece.append(message.substr(at, take));
    fragments.push_back(std::move(piece));
    at += take;
    sequence = static_cast<std::uint8_t>((sequence + 1) & kSequenceMask);
  } while (at < message.size());
  return fragments;
}

Reassembler::Result Reassembler::feed(std::string_view fragment) {
  if (fragment.empty()) {
    reset();
    return Result::out_of_sequence;
  }
  const auto header = static_cast<std::uint8_t>(fragment[0]);
  const std::uint8_t sequence = header & kSequenceMask;
  const bool more = (header & kMoreFragments) != 0;
  const bool continues_after_wrap = in_message_ && next_sequence_ == 0 && sequence == 0;
  if (sequence == 0 && !continues_after_wrap) {
    reset();  // a first fragment starts over: a client that gave up on a message may begin the next
  } else if (!in_message_ || sequence != next_sequence_) {
    reset();
    return Result::out_of_sequence;
  }
  in_message_ = true;
  next_sequence_ = static_cast<std::uint8_t>((sequence + 1) & kSequenceMask);
  if (!discarding_) {
    buffer_.append(fragment.substr(1));
    if (buffer_.size() > max_message_bytes_) {
      discarding_ = true;
      buffer_.clear();
    }
  }
  if (more) return Result::incomplete;
  if (discarding_) {
    reset();
    return Result::too_long;
  }
  complete_ = std::move(buffer_);
  reset();
  return Result::complete;
}

std::string Reassembler::take_message() {
  std::string out;
  out.swap(complete_);
  return out;
}

void Reassembler::reset() {
  buffer_.clear();
  next_sequence_ = 0;
  in_message_ = false;
  discarding_ = false;
}

}  // namespace fw::blemsg
