// Telnet framing for rfc2217:// links (RFC 854 commands, RFC 2217 COM-PORT-OPTION). Pure: bytes in, bytes and
// events out.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace provision::serial::telnet {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;
inline constexpr std::uint8_t BINARY = 0, SGA = 3, COM_PORT = 44;

// RFC 2217 client-to-server commands (the server answers with the command + 100).
enum ComPort : std::uint8_t {
  set_baudrate = 1,
  set_datasize = 2,
  set_parity = 3,
  set_stopsize = 4,
  set_control = 5,
  purge_data = 12,
};
// SET-CONTROL values.
inline constexpr std::uint8_t kNoFlowControl = 1, kDtrOn = 8, kDtrOff = 9, kRtsOn = 11, kRtsOff = 12;
inline constexpr std::uint8_t kPurgeReceive = 1;

// Data bytes with IAC doubled.
Bytes escape(std::span<const std::uint8_t> data);
// IAC <verb> <option>.
Bytes negotiation(std::uint8_t verb, std::uint8_t option);
// IAC SB COM-PORT-OPTION <command> <value, IAC doubled> IAC SE.
Bytes com_port(ComPort command, std::span<const std::uint8_t> value);
Bytes set_baud_command(unsigned baud);

struct Negotiation {
  std::uint8_t verb = 0;  // DO, DONT, WILL, WONT
  std::uint8_t option = 0;
};

// Splits the server's stream into payload bytes and negotiations; subnegotiations (the server's acknowledgements)
// are consumed. Keeps its state across calls, so an IAC split between two reads is handled.
class Decoder {
 public:
  // Appends payload to `data` and negotiations to `negotiations`.
  void feed(std::span<const std::uint8_t> bytes, Bytes& data, std::vector<Negotiation>& negotiations);

 private:
  enum class State { data, iac, verb, sb, sb_iac } state_ = State::data;
  std::uint8_t verb_ = 0;
};

}  // namespace provision::serial::telnet
