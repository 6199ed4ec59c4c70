// A strict DER reader and PEM unwrapping: bytes in, values out, no OpenSSL. The CA step uses them for the
// common shape of a CSR or certificate (x509_view.hpp); anything they refuse goes to OpenSSL's full parser.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace provision::ca::der {

using Bytes = std::span<const std::uint8_t>;

// Universal tags and the context-specific forms the X.509 views need.
enum Tag : std::uint8_t {
  kBoolean = 0x01,
  kInteger = 0x02,
  kBitString = 0x03,
  kOctetString = 0x04,
  kNull = 0x05,
  kOid = 0x06,
  kUtf8String = 0x0C,
  kPrintableString = 0x13,
  kIa5String = 0x16,
  kUtcTime = 0x17,
  kGeneralizedTime = 0x18,
  kSequence = 0x30,
  kSet = 0x31,
};
constexpr std::uint8_t context(int number, bool constructed) {
  return static_cast<std::uint8_t>(0x80 | (constructed ? 0x20 : 0) | number);
}

struct Element {
  std::uint8_t tag = 0;
  Bytes content;  // the value octets
  Bytes whole;    // tag, length and value: what a signature covers
};

bool equal(Bytes a, Bytes b);

// One level of a DER encoding. next() refuses what DER forbids: indefinite or non-minimal lengths, tag numbers
// above 30 (multi-byte tags), lengths past the end. Each refusal is nullopt; the reader is then spent.
class Reader {
 public:
  explicit Reader(Bytes data) : rest_(data) {}
  bool at_end() const { return rest_.empty(); }
  std::optional<std::uint8_t> peek_tag() const;
  std::optional<Element> next();
  std::optional<Element> next(std::uint8_t tag);  // nullopt also when the next element has another tag
  // The next element when it carries `tag`; nullopt (and nothing consumed) when another tag or the end follows.
  // `malformed` is set when the element with that tag does not decode.
  std::optional<Element> next_if(std::uint8_t tag, bool& malformed);

 private:
  Bytes rest_;
};

// The bytes of the first "-----BEGIN <label>-----" block of `text`, base64 decoded. Lines may end in CRLF;
// headers (RFC 1421 "Proc-Type:") and any character outside the base64 alphabet make it nullopt.
std::optional<std::vector<std::uint8_t>> pem_decode(std::string_view text, std::string_view label);

}  // namespace provision::ca::der
