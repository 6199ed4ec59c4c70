#include <catch2/catch.hpp>

#include <set>

#include "provision/identity.hpp"

namespace identity_test {

using namespace provision;

namespace {
ErrorCode code_of(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}
std::string field_of(auto&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.field();
  }
  return "<no error>";
}
}  // namespace

TEST_CASE("mac parses colon, dash and bare forms to the same address", "[identity][mac]") {
  auto a = parse_mac("A0:B1:C2:D3:E4:F5");
  CHECK(parse_mac("a0-b1-c2-d3-e4-f5") == a);
  CHECK(parse_mac("A0B1C2D3E4F5") == a);
  CHECK(parse_mac("a0b1c2d3e4f5") == a);
  CHECK(mac_colon(a) == "A0:B1:C2:D3:E4:F5");
  CHECK(mac_hex(a) == "A0B1C2D3E4F5");
  auto fields = mac_fields(a);
  CHECK(fields["mac"] == "A0:B1:C2:D3:E4:F5");
  CHECK(fields["mac_hex"] == "A0B1C2D3E4F5");
}

TEST_CASE("mac refuses empty, short, long, non-hex and misplaced separators", "[identity][mac]") {
  for (const char* bad : {"", "A0B1C2D3E4", "A0B1C2D3E4F5A6", "A0:B1:C2:D3:E4:G5", "A0B1C2D3E4FZ",
                          "A0:B1-C2:D3:E4:F5", "A0B:1C2:D3:E4:F5", ":A0B1C2D3E4F5", "A0 B1 C2 D3 E4 F5"}) {
    INFO(bad);
    CHECK(code_of([&] { parse_mac(bad); }) == ErrorCode::bad_input);
    CHECK(field_of([&] { parse_mac(bad); }) == "mac");
  }
}

TEST_CASE("seed uuid scheme reproduces the legacy tool's vector", "[identity][uuid]") {
  CHECK(derive_uuid(parse_mac("A0B1C2D3E4F5"), UuidScheme::seed) == "04e4822c-719e-45b0-b360-7e2819faca53");
  // The input is always the upper-case bare form, so every spelling gives the same id.
  CHECK(derive_uuid(parse_mac("a0-b1-c2-d3-e4-f5"), UuidScheme::seed) == "04e4822c-719e-45b0-b360-7e2819faca53");
}

TEST_CASE("rfc9562 scheme gives a version 5, variant 10 uuid in espprov's namespace", "[identity][uuid]") {
  auto id = derive_uuid(parse_mac("A0B1C2D3E4F5"), UuidScheme::rfc9562);
  CHECK(id == "f995b07e-8f79-544f-9ae2-35886a1d509d");  // python: uuid5(uuid5(NAMESPACE_URL, ...), name)
  CHECK(id[14] == '5');
  CHECK(std::string("89ab").find(id[19]) != std::string::npos);
}

TEST_CASE("distinct MACs give distinct uuids", "[identity][uuid]") {
  std::set<std::string> ids;
  for (int i = 0; i < 256; ++i) {
    MacAddress mac{0x24, 0x0A, 0xC4, 0x00, 0x00, static_cast<std::uint8_t>(i)};
    ids.insert(derive_uuid(mac, UuidScheme::seed));
  }
  CHECK(ids.size() == 256);
}

TEST_CASE("given uuids are validated and lower-cased", "[identity][uuid]") {
  CHECK(normalize_uuid("12345678-ABCD-1234-1234-123456789012") == "12345678-abcd-1234-1234-123456789012");
  for (const char* bad : {"", "12345678-1234-1234-1234-12345678901", "12345678-1234-1234-1234-1234567890123",
                          "123456781234-1234-1234-123456789012", "1234567g-1234-1234-1234-123456789012",
                          "12345678_1234_1234_1234_123456789012"}) {
    INFO(bad);
    CHECK(code_of([&] { normalize_uuid(bad); }) == ErrorCode::bad_input);
    CHECK(field_of([&] { normalize_uuid(bad); }) == "uuid");
  }
  CHECK(code_of([] { parse_uuid_scheme("v4"); }) == ErrorCode::bad_input);
}

TEST_CASE("generated psks are 64 lower-case hex digits and differ", "[identity][psk]") {
  auto a = generate_psk();
  auto b = generate_psk();
  CHECK(a.size() == 64);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
}

TEST_CASE("given psks must be exactly 64 hex digits and never appear in the error", "[identity][psk]") {
  std::string good(64, 'A');
  CHECK(normalize_psk(good) == std::string(64, 'a'));
  std::string secret_short = "deadbeef";
  try {
    normalize_psk(secret_short);
    FAIL("accepted a short psk");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::bad_input);
    CHECK(e.field() == "psk");
    CHECK(std::string(e.what()).find(secret_short) == std::string::npos);
  }
  std::string bad_char = std::string(63, '0') + "x";
  CHECK(code_of([&] { normalize_psk(bad_char); }) == ErrorCode::bad_input);
}

}  // namespace identity_test
