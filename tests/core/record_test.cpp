#include <catch2/catch.hpp>

#include <set>

#include "provision/error.hpp"
#include "provision/record.hpp"

namespace record_test {

using namespace provision;

TEST_CASE("every error code has a unique name and a unique exit code", "[core][error]") {
  std::set<std::string_view> names;
  std::set<int> exits;
  int count = 0;
  for (auto it = error_table_begin(); it != error_table_end(); ++it, ++count) {
    names.insert(it->name);
    exits.insert(it->exit_code);
    CHECK(it->exit_code > 1);
    CHECK(it->exit_code < 126);
  }
  CHECK(names.size() == static_cast<std::size_t>(count));
  CHECK(exits.size() == static_cast<std::size_t>(count));
  CHECK(exit_code_of(ErrorCode::usage) == 2);
}

TEST_CASE("redact replaces secrets at any depth and keeps the rest", "[core][record]") {
  Record r = Record::parse(R"({"mac":"A0","psk":"00ff","nested":{"wifi_password":"pw","ssid":"x"},"list":[{"device_key":"k"}]})");
  auto shown = redact(r);
  CHECK(shown["psk"] == "***");
  CHECK(shown["nested"]["wifi_password"] == "***");
  CHECK(shown["nested"]["ssid"] == "x");
  CHECK(shown["list"][0]["device_key"] == "***");
  CHECK(shown["mac"] == "A0");
  CHECK(r["psk"] == "00ff");
}

TEST_CASE("csv puts known columns first in documented order and quotes per RFC 4180", "[core][record]") {
  Record r = Record::object();
  r["zeta"] = "a,b";
  r["uuid"] = "u";
  r["ok"] = true;
  r["mac"] = "A0:B1";
  r["note"] = "say \"hi\"";
  auto columns = csv_columns({r});
  REQUIRE(columns.size() == 5);
  CHECK(columns[0] == "ok");
  CHECK(columns[1] == "mac");
  CHECK(columns[2] == "uuid");
  CHECK(csv_header(columns) == "ok,mac,uuid,zeta,note\r\n");
  CHECK(csv_row(r, columns) == "true,A0:B1,u,\"a,b\",\"say \"\"hi\"\"\"\r\n");
}

TEST_CASE("error records carry code, message and field and round-trip", "[core][record]") {
  Error e(ErrorCode::bad_input, "mac: bad", "mac");
  auto rec = error_record(e);
  CHECK(rec["ok"] == false);
  CHECK(rec["error"]["code"] == "bad_input");
  ErrorCode code{};
  std::string message, field;
  REQUIRE(record_error(rec, code, message, field));
  CHECK(code == ErrorCode::bad_input);
  CHECK(field == "mac");
  CHECK_FALSE(record_error(Record::parse(R"({"ok":true})"), code, message, field));
}

TEST_CASE("parse_record refuses non-objects and bad JSON naming the input", "[core][record]") {
  CHECK_THROWS_AS(parse_record("[1,2]", "stdin"), Error);
  CHECK_THROWS_AS(parse_record("{", "stdin"), Error);
  CHECK(parse_record(R"({"a":1})", "stdin")["a"] == 1);
}

}  // namespace record_test
