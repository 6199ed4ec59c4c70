// The CLI conventions, exercised through the real espprov binary.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "provision/record.hpp"
#include "support/process.hpp"

namespace pipeline_test {

using namespace test_support;
using provision::Record;

namespace {
ProcessResult espprov(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), bin_path("espprov").string());
  return run_process(args, input);
}
}  // namespace

TEST_CASE("mac | uuid | psk pipe builds one record with all four fields", "[cli][pipeline]") {
  auto mac = espprov({"mac", "--mac", "a0-b1-c2-d3-e4-f5"});
  REQUIRE(mac.exit_code == 0);
  auto uuid = espprov({"uuid", "--in", "-"}, mac.out);
  REQUIRE(uuid.exit_code == 0);
  auto psk = espprov({"psk", "--in", "-"}, uuid.out);
  REQUIRE(psk.exit_code == 0);
  auto record = Record::parse(psk.out);
  CHECK(record["ok"] == true);
  CHECK(record["mac"] == "A0:B1:C2:D3:E4:F5");
  CHECK(record["mac_hex"] == "A0B1C2D3E4F5");
  CHECK(record["uuid"] == "04e4822c-719e-45b0-b360-7e2819faca53");
  CHECK(record["psk"].get<std::string>().size() == 64);
  CHECK(psk.err.find(record["psk"].get<std::string>()) == std::string::npos);
}

TEST_CASE("csv output is a header line and one row", "[cli][pipeline]") {
  auto r = espprov({"uuid", "--mac", "A0B1C2D3E4F5", "--format", "csv"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "ok,mac,mac_hex,uuid,uuid_scheme\r\ntrue,A0:B1:C2:D3:E4:F5,A0B1C2D3E4F5,"
                 "04e4822c-719e-45b0-b360-7e2819faca53,seed\r\n");
}

TEST_CASE("redact hides the psk in the printed record", "[cli][pipeline]") {
  auto r = espprov({"psk", "--redact"});
  REQUIRE(r.exit_code == 0);
  CHECK(Record::parse(r.out)["psk"] == "***");
}

TEST_CASE("bad inputs exit non-zero with a JSON error naming the field", "[cli][errors]") {
  struct Case {
    std::vector<std::string> args;
    std::string field;
  };
  for (const auto& c : std::vector<Case>{{{"mac", "--mac", "A0B1C2"}, "mac"},
                                         {{"mac", "--mac", ""}, "mac"},
                                         {{"mac", "--mac", "ZZB1C2D3E4F5"}, "mac"},
                                         {{"uuid", "--uuid", "not-a-uuid"}, "uuid"},
                                         {{"uuid"}, "mac"},
                                         {{"psk", "--psk", "abc"}, "psk"}}) {
    auto r = espprov(c.args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
    auto record = Record::parse(r.out);
    CHECK(record["ok"] == false);
    CHECK(record["error"]["code"] == "bad_input");
    CHECK(record["error"]["field"] == c.field);
    CHECK_FALSE(r.err.empty());
  }
}

TEST_CASE("an unknown flag is a usage error with exit code 2", "[cli][errors]") {
  auto r = espprov({"mac", "--nope"});
  CHECK(r.exit_code == provision::exit_code_of(provision::ErrorCode::usage));
  CHECK(Record::parse(r.out)["error"]["code"] == "usage");
}

TEST_CASE("an earlier step's error passes through the pipe unchanged", "[cli][pipeline]") {
  auto bad = espprov({"mac", "--mac", "xyz"});
  REQUIRE(bad.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  auto next = espprov({"uuid", "--in", "-"}, bad.out);
  CHECK(next.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  CHECK(Record::parse(next.out)["error"]["field"] == "mac");
}

TEST_CASE("a PSK on the command line warns, --psk-file and $ESPPROV_PSK give the same PSK quietly", "[cli][secrets]") {
  TempDir dir;
  const std::string psk = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  auto argv = espprov({"psk", "--psk", psk});
  REQUIRE(argv.exit_code == 0);
  CHECK(Record::parse(argv.out)["psk"] == psk);
  CHECK(argv.err.find("warning: --psk on the command line") != std::string::npos);
  CHECK(argv.err.find("--psk-file") != std::string::npos);
  CHECK(argv.err.find(psk) == std::string::npos);

  {
    std::ofstream file(dir / "psk");
    file << psk << "\r\nsecond line ignored\n";  // the one rule: the first line, without CRLF
  }
  auto from_file = espprov({"psk", "--psk-file", (dir / "psk").string()});
  REQUIRE(from_file.exit_code == 0);
  CHECK(Record::parse(from_file.out)["psk"] == psk);
  CHECK(from_file.err.find("warning") == std::string::npos);

  auto from_env = run_process({"/usr/bin/env", "ESPPROV_PSK=" + psk, bin_path("espprov").string(), "psk"});
  REQUIRE(from_env.exit_code == 0);
  CHECK(Record::parse(from_env.out)["psk"] == psk);
  CHECK(from_env.err.find("warning") == std::string::npos);
}

TEST_CASE("provision --password warns that it is visible to other users", "[cli][secrets]") {
  TempDir dir;
  auto run = espprov({"provision", "--port", "/dev/null-espprov-none", "--ssid", "lab", "--password",
                      "correct horse battery", "--ledger", (dir / "ledger.db").string(), "--progress", "plain"});
  CHECK(run.err.find("warning: --password on the command line") != std::string::npos);
  CHECK(run.err.find("correct horse battery") == std::string::npos);
  // --progress ndjson: the warning is an event like the rest of stderr; none: no warnings at all.
  auto ndjson = espprov({"provision", "--port", "/dev/null-espprov-none", "--ssid", "lab", "--password",
                         "correct horse battery", "--ledger", (dir / "ledger.db").string(), "--progress", "ndjson"});
  CHECK(ndjson.err.find("\"event\":\"warning\"") != std::string::npos);
  CHECK(ndjson.err.find("espprov: warning") == std::string::npos);
  CHECK(ndjson.err.find("correct horse battery") == std::string::npos);
  auto quiet = espprov({"provision", "--port", "/dev/null-espprov-none", "--ssid", "lab", "--password",
                        "correct horse battery", "--ledger", (dir / "ledger.db").string(), "--progress", "none"});
  CHECK(quiet.err.find("--password on the command line") == std::string::npos);
}

}  // namespace pipeline_test
