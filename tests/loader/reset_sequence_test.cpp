// esptool's custom reset sequence notation: parsing, canonical text, refusals.
#include "provision/loader/reset_sequence.hpp"

#include <catch2/catch.hpp>

#include "provision/error.hpp"

namespace reset_sequence_test {

using namespace provision::loader;
using Kind = ResetStep::Kind;
using std::chrono::microseconds;

namespace {

ResetStep dtr(bool level) {
  return {Kind::set_dtr, level, false, {}};
}
ResetStep rts(bool level) {
  return {Kind::set_rts, false, level, {}};
}
ResetStep both(bool d, bool r) {
  return {Kind::set_both, d, r, {}};
}
ResetStep wait_us(long long us) {
  return {Kind::wait, false, false, microseconds(us)};
}

std::string refusal(const std::string& text) {
  try {
    parse_reset_sequence(text);
  } catch (const provision::Error& e) {
    CHECK(e.code() == provision::ErrorCode::bad_input);
    CHECK(e.field() == "reset-sequence");
    return e.what();
  }
  FAIL("accepted: " << text);
  return {};
}

}  // namespace

TEST_CASE("the classic sequence of esptool's docs parses into line changes and waits", "[reset][unit]") {
  auto sequence = parse_reset_sequence("D0|R1|W0.1|D1|R0|W0.05|D0");
  std::vector<ResetStep> expected{dtr(false), rts(true),      wait_us(100000), dtr(true),
                                  rts(false), wait_us(50000), dtr(false)};
  CHECK(sequence.steps == expected);
  CHECK(total_wait(sequence) == microseconds(150000));
}

TEST_CASE("U sets both lines at once, DTR first (esptool's UnixTightReset form)", "[reset][unit]") {
  auto sequence = parse_reset_sequence("U1,1|W0.1|U1,0|W0.1|U0,0");
  std::vector<ResetStep> expected{both(true, true), wait_us(100000), both(true, false), wait_us(100000),
                                  both(false, false)};
  CHECK(sequence.steps == expected);
}

TEST_CASE("waits take whole seconds and up to six decimals", "[reset][unit]") {
  CHECK(parse_reset_sequence("W1").steps == std::vector<ResetStep>{wait_us(1000000)});
  CHECK(parse_reset_sequence("W.5").steps == std::vector<ResetStep>{wait_us(500000)});
  CHECK(parse_reset_sequence("W0.000001").steps == std::vector<ResetStep>{wait_us(1)});
  CHECK(parse_reset_sequence("W10").steps == std::vector<ResetStep>{wait_us(10000000)});
}

TEST_CASE("the canonical text parses back to the same sequence", "[reset][unit]") {
  for (const char* text : {"D0|R1|W0.1|D1|R0|W0.05|D0", "U0,1|W0.25|U1,0|W1.5|U0,0", "R1|W2|R0", "W0.000001"}) {
    auto sequence = parse_reset_sequence(text);
    CHECK(format_reset_sequence(sequence) == text);
    CHECK(parse_reset_sequence(format_reset_sequence(sequence)) == sequence);
  }
  CHECK(format_reset_sequence(parse_reset_sequence("W.50")) == "W0.5");
}

TEST_CASE("malformed sequences are refused naming the command and its position", "[reset][unit]") {
  CHECK_THAT(refusal(""), Catch::Contains("empty"));
  CHECK_THAT(refusal("D2"), Catch::Contains("command 1 'D2'") && Catch::Contains("0 or 1"));
  CHECK_THAT(refusal("D0|X1"), Catch::Contains("command 2 'X1' is not a command"));
  CHECK_THAT(refusal("D0||R1"), Catch::Contains("command 2 ''") && Catch::Contains("empty"));
  CHECK_THAT(refusal("D0|"), Catch::Contains("command 2"));
  CHECK_THAT(refusal("U1"), Catch::Contains("two levels"));
  CHECK_THAT(refusal("U1,2"), Catch::Contains("two levels"));
  CHECK_THAT(refusal("W"), Catch::Contains("seconds"));
  CHECK_THAT(refusal("W-1"), Catch::Contains("seconds"));
  CHECK_THAT(refusal("W1e3"), Catch::Contains("seconds"));
  CHECK_THAT(refusal("W0.0000001"), Catch::Contains("six decimals"));
  CHECK_THAT(refusal("W100"), Catch::Contains("limit of 10 s"));
  CHECK_THAT(refusal("W10.000001"), Catch::Contains("limit of 10 s"));
  CHECK_THAT(refusal("d0"), Catch::Contains("is not a command"));
  CHECK_THAT(refusal("D0 |R1"), Catch::Contains("'D0 '"));
}

TEST_CASE("a sequence longer than the limit is refused", "[reset][unit]") {
  std::string text = "D0";
  for (std::size_t i = 1; i < kMaxResetSteps; ++i) text += "|D0";
  CHECK(parse_reset_sequence(text).steps.size() == kMaxResetSteps);
  CHECK_THAT(refusal(text + "|D1"), Catch::Contains("more than 64 commands"));
}

}  // namespace reset_sequence_test
