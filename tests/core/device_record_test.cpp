// The record schema (provision/device_record.hpp): the typed record's JSON form, the columns and secrets generated
// from its table, and README's table kept the same as the header's.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "provision/device_record.hpp"
#include "support/process.hpp"

namespace device_record_test {

using namespace provision;

namespace {

std::vector<std::string> keys_of(const Record& record) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : record.items()) keys.push_back(key);
  return keys;
}

struct ReadmeTable {
  std::vector<std::string> order;
  std::map<std::string, std::string> rows;  // field name -> the row's text
};

// README's "The device record" table.
ReadmeTable readme_record_table() {
  std::ifstream in(test_support::source_path("README.md"));
  REQUIRE(in);
  std::string line;
  while (std::getline(in, line) && line != "## The device record") {
  }
  ReadmeTable table;
  bool in_table = false;
  const std::regex row(R"(^\| `([a-z0-9_]+)` \|)");
  while (std::getline(in, line)) {
    if (line.rfind("|", 0) != 0) {
      if (in_table) break;  // the first table after the heading, and only it
      continue;
    }
    in_table = true;
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      CHECK(table.rows.count(m[1]) == 0);  // each field once
      table.rows[m[1]] = line;
      table.order.push_back(m[1]);
    }
  }
  return table;
}

}  // namespace

TEST_CASE("device record JSON lists the table's fields in table order, then unknown fields as they came", "[core][record]") {
  const Record wire = Record::parse(
      R"({"zeta":{"nested":[1,2]},"uuid":"u-1","verified":true,"mac":"A0:B1:C2:D3:E4:F5","ok":true,"alpha":"x","rssi":-40,"timings":{"flash":0.5}})");
  const DeviceRecord typed = device_record_from_json(wire);
  CHECK(typed.uuid == "u-1");
  CHECK(typed.verified == true);
  CHECK(typed.rssi == -40);
  CHECK(typed.timings == Record::parse(R"({"flash":0.5})"));
  CHECK_FALSE(typed.psk.has_value());
  const Record out = to_json(typed);
  CHECK(keys_of(out) == std::vector<std::string>{"ok", "mac", "uuid", "rssi", "verified", "timings", "zeta", "alpha"});
  CHECK(out["zeta"] == wire["zeta"]);  // another step's field passes unchanged
  CHECK(out["alpha"] == "x");
  // Stable: a second round trip changes nothing, text included.
  CHECK(to_json_text(to_json(device_record_from_json(out))) == to_json_text(out));
}

TEST_CASE("device record keeps every field of every kind through a round trip", "[core][record]") {
  DeviceRecord record;
  record.ok = false;
  record.features = std::vector<std::string>{"WiFi", "BLE"};
  record.seconds = 1.25;
  record.attempts = 3;
  record.mqtt = Record::parse(R"({"connected":true,"topic":"t","seconds":0.2})");
  record.error = RecordError{"bad_input", "mac: bad", "mac"};
  record.other["station_note"] = "kept";
  const Record json = to_json(record);
  CHECK(json["error"] == Record::parse(R"({"code":"bad_input","message":"mac: bad","field":"mac"})"));
  CHECK(json["features"] == Record::parse(R"(["WiFi","BLE"])"));
  const DeviceRecord back = device_record_from_json(json);
  CHECK(back.error == record.error);
  CHECK(back.features == record.features);
  CHECK(back.seconds == 1.25);
  CHECK(back.attempts == 3);
  CHECK(back.mqtt == record.mqtt);
  CHECK(back.other == record.other);
  CHECK(to_json(back) == json);
}

TEST_CASE("device record refuses a known field of the wrong type and names it", "[core][record]") {
  CHECK_THROWS_MATCHES(device_record_from_json(Record::parse(R"({"rssi":"-40"})")), Error,
                       Catch::Predicate<Error>([](const Error& e) {
                         return e.code() == ErrorCode::bad_input && e.field() == "rssi" &&
                                std::string(e.what()).find("expected an integer") != std::string::npos;
                       }));
  CHECK_THROWS_AS(device_record_from_json(Record::parse(R"({"verified":"yes"})")), Error);
  CHECK_THROWS_AS(device_record_from_json(Record::parse(R"({"features":["a",1]})")), Error);
  CHECK_THROWS_AS(device_record_from_json(Record::parse(R"({"attempts":1.5})")), Error);
}

TEST_CASE("merge adds a step's fields over the record and keeps the others", "[core][record]") {
  DeviceRecord record = device_record_from_json(Record::parse(R"({"mac":"A0","psk":"00","note":1})"));
  record.merge(Record::parse(R"({"psk":"ff","ip":"10.0.0.2","extra":true})"));
  CHECK(record.psk == "ff");
  CHECK(record.mac == "A0");
  CHECK(record.ip == "10.0.0.2");
  CHECK(keys_of(record.other) == std::vector<std::string>{"note", "extra"});
}

TEST_CASE("CSV columns follow the record table with the error as three columns", "[core][record]") {
  std::vector<std::string> expected;
  for (const auto& field : kRecordFields) {
    if (field.kind == FieldKind::error) {
      expected.insert(expected.end(), {"error_code", "error_field", "error_message"});
    } else {
      expected.emplace_back(field.name);
    }
  }
  // A record holding every field, inserted in reverse order: the columns still come in the table's order.
  Record wire = Record::object();
  for (auto it = std::rbegin(kRecordFields); it != std::rend(kRecordFields); ++it) {
    wire[std::string(it->name)] = it->kind == FieldKind::error ? Record::parse(R"({"code":"io","message":"m","field":"f"})")
                                                               : Record("x");
  }
  wire["unknown_b"] = 1;
  wire["unknown_a"] = 2;
  auto columns = csv_columns({wire});
  expected.insert(expected.end(), {"unknown_b", "unknown_a"});
  CHECK(columns == expected);
}

TEST_CASE("provision's CSV columns are every field provision sets, in table order", "[core][record]") {
  const auto columns = step_csv_columns("provision");
  for (const char* name : {"ok", "port", "mac", "uuid", "psk", "certificate", "nvs_md5", "flash_verified", "verified",
                           "pop_registered", "timings", "seconds", "failed_step", "error_code", "error_message"}) {
    CHECK(std::count(columns.begin(), columns.end(), name) == 1);
  }
  for (const char* name : {"offset", "size", "md5", "nvs_file", "pop", "error"}) {
    CHECK(std::count(columns.begin(), columns.end(), name) == 0);
  }
  CHECK(columns.front() == "ok");
  const auto verified = std::find(columns.begin(), columns.end(), "verified");
  const auto flash_verified = std::find(columns.begin(), columns.end(), "flash_verified");
  CHECK(flash_verified < verified);  // the table's order
}

TEST_CASE("secret fields are the table's secret rows plus the nested secret names", "[core][record]") {
  std::set<std::string> secrets;
  for (const auto& field : kRecordFields) {
    CHECK(is_secret_field(field.name) == field.secret);
    if (field.secret) secrets.insert(std::string(field.name));
  }
  CHECK(secrets == std::set<std::string>{"psk", "device_key", "wifi_password", "pop"});
  for (auto name : kOtherSecretNames) CHECK(is_secret_field(name));
  CHECK_FALSE(is_secret_field("mac"));
  CHECK(redact(Record::parse(R"({"pop":"p","token":"t"})")) == Record::parse(R"({"pop":"***","token":"***"})"));
}

TEST_CASE("README's device record table lists exactly the header's fields in its order, secrets marked", "[core][record][docs]") {
  const auto table = readme_record_table();
  std::vector<std::string> declared;
  for (const auto& field : kRecordFields) {
    declared.emplace_back(field.name);
    auto row = table.rows.find(std::string(field.name));
    INFO("field " << field.name);
    REQUIRE(row != table.rows.end());
    CHECK((row->second.find("**secret**") != std::string::npos) == field.secret);
    CHECK(row->second.find("| " + std::string(field.set_by) + " |") != std::string::npos);
  }
  CHECK(table.order == declared);  // no field missing, none extra, same order (the CSV column order)
}

}  // namespace device_record_test
