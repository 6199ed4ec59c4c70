// The strict DER reader, PEM unwrapping and DER times behind the CA step's certificate and CSR views.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ca/der.hpp"
#include "ca/x509_view.hpp"

using namespace provision::ca;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::optional<der::Element> first(const Bytes& bytes) {
  der::Reader reader(bytes);
  return reader.next();
}

Bytes text_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

}  // namespace

TEST_CASE("DER: short and long lengths, and what a signature covers", "[ca][der]") {
  auto element = first({0x04, 0x02, 0xAA, 0xBB});
  REQUIRE(element);
  CHECK(element->tag == der::kOctetString);
  CHECK(element->content.size() == 2);
  CHECK(element->whole.size() == 4);

  Bytes long_form{0x04, 0x81, 0x80};
  long_form.resize(3 + 0x80, 0x11);
  element = first(long_form);
  REQUIRE(element);
  CHECK(element->content.size() == 0x80);

  Bytes two_octets{0x30, 0x82, 0x01, 0x00};
  two_octets.resize(4 + 0x100);
  element = first(two_octets);
  REQUIRE(element);
  CHECK(element->content.size() == 0x100);
}

TEST_CASE("DER: what BER allows and DER forbids is refused", "[ca][der]") {
  CHECK_FALSE(first({0x30, 0x80, 0x00, 0x00}));        // indefinite length
  CHECK_FALSE(first({0x04, 0x81, 0x05, 1, 2, 3, 4, 5}));  // long form for a length under 128
  Bytes leading_zero{0x04, 0x82, 0x00, 0x80};
  leading_zero.resize(4 + 0x80);
  CHECK_FALSE(first(leading_zero));
  CHECK_FALSE(first({0x1F, 0x81, 0x01, 0x00}));  // multi-byte tag number
  CHECK_FALSE(first({0x04, 0x05, 1, 2}));        // content past the end
  CHECK_FALSE(first({0x04}));                    // no length
  CHECK_FALSE(first({0x04, 0x85, 1, 1, 1, 1, 1}));  // a five-octet length
}

TEST_CASE("DER: a refusal spends the reader, and next(tag) checks the tag", "[ca][der]") {
  Bytes two{0x02, 0x01, 0x05, 0x04, 0x00};
  der::Reader reader(two);
  CHECK_FALSE(reader.next(der::kOctetString));
  CHECK(reader.at_end());

  der::Reader again(two);
  bool malformed = false;
  CHECK_FALSE(again.next_if(der::kOctetString, malformed));  // not consumed
  CHECK_FALSE(malformed);
  auto integer = again.next_if(der::kInteger, malformed);
  REQUIRE(integer);
  CHECK(integer->content[0] == 5);
  CHECK(again.next(der::kOctetString));
  CHECK(again.at_end());
}

TEST_CASE("PEM: the labelled block, CRLF and padding; anything else refused", "[ca][der]") {
  const std::string pem = "junk before\n-----BEGIN THING-----\r\nAAEC\r\nAw==\r\n-----END THING-----\r\n";
  auto bytes = der::pem_decode(pem, "THING");
  REQUIRE(bytes);
  CHECK(*bytes == Bytes{0x00, 0x01, 0x02, 0x03});
  CHECK(*der::pem_decode("-----BEGIN X-----\nAAE=\n-----END X-----\n", "X") == Bytes{0x00, 0x01});

  CHECK_FALSE(der::pem_decode(pem, "OTHER"));
  CHECK_FALSE(der::pem_decode("-----BEGIN X-----\nAAEC\n", "X"));                        // no END line
  CHECK_FALSE(der::pem_decode("-----BEGIN X-----\nAA*C\n-----END X-----\n", "X"));       // not base64
  CHECK_FALSE(der::pem_decode("-----BEGIN X-----\nAAE\n-----END X-----\n", "X"));        // not a whole group
  CHECK_FALSE(der::pem_decode("-----BEGIN X-----\nAA==AAAA\n-----END X-----\n", "X"));   // data after padding
  CHECK_FALSE(der::pem_decode("-----BEGIN X-----\nA===\n-----END X-----\n", "X"));       // too much padding
  CHECK_FALSE(der::pem_decode("-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nAAEC\n-----END X-----\n", "X"));
  CHECK_FALSE(der::pem_decode("-----BEGIN X-----\n-----END X-----\n", "X"));             // empty
}

TEST_CASE("DER times: UTCTime's two-digit years and GeneralizedTime, exact forms only", "[ca][der]") {
  CHECK(x509::parse_time(der::kUtcTime, text_bytes("700101000000Z")) == 0);
  CHECK(x509::parse_time(der::kUtcTime, text_bytes("491231235959Z")) == 2524607999);  // 2049
  CHECK(x509::parse_time(der::kUtcTime, text_bytes("500101000000Z")) == -631152000);  // 1950
  CHECK(x509::parse_time(der::kGeneralizedTime, text_bytes("20500101000000Z")) == 2524608000);
  CHECK(x509::parse_time(der::kGeneralizedTime, text_bytes("20240229120000Z")) == 1709208000);

  CHECK_FALSE(x509::parse_time(der::kGeneralizedTime, text_bytes("20230229120000Z")));  // not a leap year
  CHECK_FALSE(x509::parse_time(der::kUtcTime, text_bytes("700101000000+0100")));
  CHECK_FALSE(x509::parse_time(der::kUtcTime, text_bytes("7001010000Z")));              // no seconds
  CHECK_FALSE(x509::parse_time(der::kGeneralizedTime, text_bytes("20500101000000.5Z")));  // fractions
  CHECK_FALSE(x509::parse_time(der::kUtcTime, text_bytes("701301000000Z")));            // month 13
  CHECK_FALSE(x509::parse_time(der::kUtcTime, text_bytes("700101240000Z")));
  CHECK_FALSE(x509::parse_time(der::kOctetString, text_bytes("700101000000Z")));
}
