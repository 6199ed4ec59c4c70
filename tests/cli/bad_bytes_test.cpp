// Bytes that are not UTF-8, and values a file or a pipe sends where a flag would be checked, through the real
// espprov binary: the documented JSON error with the bad bytes escaped (\xHH), never an abort.
#include <catch2/catch.hpp>

#include <filesystem>

#include "provision/error.hpp"
#include "provision/files.hpp"
#include "provision/record.hpp"
#include "support/process.hpp"

namespace bad_bytes_test {

using namespace test_support;
using provision::ErrorCode;
using provision::Record;

namespace {

ProcessResult espprov(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), bin_path("espprov").string());
  return run_process(args, input);
}

// The error record on stdout, parsed; fails the test when stdout is not one JSON object.
Record error_of(const ProcessResult& result, ErrorCode expected) {
  INFO(result.err);
  CHECK(result.exit_code == provision::exit_code_of(expected));
  auto record = Record::parse(result.out, nullptr, false);
  REQUIRE_FALSE(record.is_discarded());
  CHECK(record["ok"] == false);
  CHECK(record["error"]["code"] == std::string(provision::error_name(expected)));
  return record;
}

}  // namespace

TEST_CASE("a --mac that is not UTF-8 gives bad_input with the bytes escaped", "[cli][bad_bytes]") {
  auto record = error_of(espprov({"mac", "--mac", "\xff\xfe\xfd"}), ErrorCode::bad_input);
  CHECK(record["error"]["field"] == "mac");
  CHECK(record["error"]["message"].get<std::string>().find("\\xFF\\xFE\\xFD") != std::string::npos);
}

TEST_CASE("a record on stdin that starts with bytes that are not UTF-8 gives bad_input", "[cli][bad_bytes]") {
  auto record = error_of(espprov({"psk", "--in", "-"}, "\xff\xfe{}"), ErrorCode::bad_input);
  CHECK(record["error"]["field"] == "in");
}

TEST_CASE("a record file whose mac is not UTF-8 gives bad_input", "[cli][bad_bytes]") {
  TempDir temp;
  provision::write_file_atomic(temp / "r.json", std::string("{\"mac\":\"\xff\xfe\"}"));
  error_of(espprov({"uuid", "--in", (temp / "r.json").string()}), ErrorCode::bad_input);
}

TEST_CASE("a --port path that is not UTF-8 gives port_unavailable naming it escaped", "[cli][bad_bytes]") {
  auto record = error_of(espprov({"chip", "--port", "/tmp/\xff\xfe"}), ErrorCode::port_unavailable);
  CHECK(record.dump().find("\\\\xFF\\\\xFE") != std::string::npos);
}

TEST_CASE("nvs-build --in checks each record field as a flag would, and writes nothing", "[cli][nvs][bad_bytes]") {
  TempDir temp;
  Record in = Record::object();
  in["mac"] = "A0:B1:C2:D3:E4:F5";
  in["uuid"] = "04e4822c-719e-45b0-b360-7e2819faca53";
  in["psk"] = std::string(64, 'z');
  auto result = espprov({"nvs-build", "--in", "-", "--out", (temp / "x.bin").string()}, in.dump());
  auto record = error_of(result, ErrorCode::bad_input);
  CHECK(record["error"]["field"] == "psk");
  CHECK(std::filesystem::is_empty(temp.path()));
  in["psk"] = std::string(64, 'a');
  in["mac"] = "00:00:00:00:00:00";
  record = error_of(espprov({"nvs-build", "--in", "-", "--out", (temp / "x.bin").string()}, in.dump()),
                    ErrorCode::mac_invalid);
  CHECK(record["error"]["field"] == "mac");
}

TEST_CASE("provision --save naming a folder fails before any board is touched", "[cli][bad_bytes]") {
  TempDir temp;
  auto result = espprov({"provision", "--port", (temp / "no-such-port").string(), "--no-wifi", "--no-ca", "--save",
                         temp.path().string(), "--ledger", (temp / "l.db").string()});
  auto record = error_of(result, ErrorCode::io);
  CHECK(record["error"]["field"] == "save");
  CHECK_FALSE(std::filesystem::exists(temp / "l.db"));  // not even the ledger was opened
}

}  // namespace bad_bytes_test
