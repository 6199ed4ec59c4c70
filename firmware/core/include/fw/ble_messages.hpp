// The byte formats of the network-management characteristics (PROTOCOL.md §7.5): messages made of TLV fields,
// carried in fragments that each fit one ATT write or notification. Pure: bytes in, values out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fw::blemsg {

// Request operations (client to device) and the device's unsolicited event.
enum class Op : std::uint8_t {
  list_saved = 0x01,
  scan = 0x02,
  add = 0x03,
  move = 0x04,
  remove = 0x05,
  select = 0x06,
  wifi_status = 0x07,
  wifi_event = 0x80,  // device to client, unsolicited: the result of a SELECT, a disconnect
};

// The status byte of a response.
enum class Status : std::uint8_t {
  ok = 0x00,
  bad_argument = 0x01,
  ssid_length = 0x02,
  password_length = 0x03,
  password_chars = 0x04,
  list_full = 0x06,
  not_found = 0x07,
  busy = 0x08,
  flash = 0x09,
  unknown_op = 0x10,
  malformed = 0x11,  // TLVs that run past the end, a field given twice, a missing or wrongly sized field
  too_long = 0x12,   // a request longer than kMaxRequestBytes
  sequence = 0x13,   // a fragment out of sequence: the message is dropped
};

enum class Field : std::uint8_t {
  ssid = 0x01,
  password = 0x02,
  index = 0x03,    // u8
  rssi = 0x04,     // i8, dBm
  auth = 0x05,     // u8: 0 open, 1 wep, 2 wpa, 3 wpa2, 4 wpa3, 5 wpa2_wpa3
  channel = 0x06,  // u8
  saved = 0x07,    // u8 0/1: a scanned access point whose SSID is saved
  state = 0x08,    // u8: 0 idle, 1 connecting, 2 connected, 3 failed
  ip = 0x09,       // 4 bytes, network order
  reason = 0x0A,   // u8: 0 wrong_password, 1 ap_not_found, 2 timeout, 3 other
  network = 0x20,  // nested TLVs: ssid, index (one saved network)
  access_point = 0x21,  // nested TLVs: ssid, rssi, auth, channel, saved
};

struct Tlv {
  std::uint8_t type = 0;
  std::string value;  // 0..255 bytes
};

constexpr std::size_t kMaxRequestBytes = 512;  // the longest request (ADD) is under 110 bytes

std::string encode_tlv(Field type, std::string_view value);
std::string encode_u8(Field type, std::uint8_t value);
// Every field, in order; nullopt when a length runs past the end.
std::optional<std::vector<Tlv>> decode_tlvs(std::string_view bytes);

struct Request {
  Op op = Op::list_saved;
  std::uint8_t id = 0;  // echoed in the response, so a client can match them
  std::vector<Tlv> fields;
};

// op, id, then fields; nullopt for fewer than two bytes or malformed fields.
std::optional<Request> decode_request(std::string_view message);
std::string encode_response(std::uint8_t op, std::uint8_t id, Status status, std::string_view fields);

// The only field of `type` in `fields`; nullopt when absent. `duplicate` is set when it appears more than once.
std::optional<std::string> find_field(const std::vector<Tlv>& fields, Field type, bool& duplicate);

// Fragments: one header byte (bit 7 set: more fragments follow; bits 0..6: sequence number, 0 for the first
// fragment, then +1 modulo 128), then up to `fragment_bytes - 1` bytes of the message. An empty message is one
// fragment holding only the header.
constexpr std::uint8_t kMoreFragments = 0x80;
std::vector<std::string> fragment(std::string_view message, std::size_t fragment_bytes);

// Joins fragments back into messages. A fragment numbered 0 starts a new message (dropping an unfinished one),
// except right after fragment 127 of a message in progress, which it continues. Any other fragment out of
// sequence drops what was gathered and itself; a message longer than the limit is dropped.
class Reassembler {
 public:
  enum class Result { incomplete, complete, out_of_sequence, too_long };

  explicit Reassembler(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}
  Result feed(std::string_view fragment);
  std::string take_message();  // after complete
  void reset();
  bool in_message() const { return in_message_; }

 private:
  std::size_t max_message_bytes_;
  std::string buffer_;
  std::string complete_;
  std::uint8_t next_sequence_ = 0;
  bool in_message_ = false;
  bool discarding_ = false;  // a too-long message: skip its remaining fragments
};

}  // namespace fw::blemsg
