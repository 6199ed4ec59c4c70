// Step commands reading NDJSON on --in (one record per line, many boards), through the real espprov binary.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "e2e/e2e_support.hpp"
#include "provision/error.hpp"
#include "provision/record.hpp"
#include "support/process.hpp"

namespace ndjson_intake_test {

using namespace test_support;
using provision::Record;
using namespace std::chrono_literals;

namespace {

ProcessResult espprov(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), bin_path("espprov").string());
  return run_process(args, input, 120s);
}

std::vector<Record> records_of(const std::string& out) {
  std::vector<Record> records;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) records.push_back(Record::parse(line));
  }
  return records;
}

int exit_code(provision::ErrorCode code) {
  return provision::exit_code_of(code);
}

const std::string kThreeMacs =
    "{\"mac\":\"A0:B1:C2:D3:E4:F5\"}\n{\"mac\":\"A0:B1:C2:D3:E4:F6\"}\n\n{\"mac\":\"A0:B1:C2:D3:E4:F7\"}\n";

}  // namespace

TEST_CASE("uuid and psk read NDJSON and print one record per input line, in order", "[cli][ndjson]") {
  auto uuid = espprov({"uuid", "--in", "-"}, kThreeMacs);
  INFO(uuid.err);
  REQUIRE(uuid.exit_code == 0);
  auto with_uuid = records_of(uuid.out);
  REQUIRE(with_uuid.size() == 3);
  CHECK(with_uuid[0]["uuid"] == "04e4822c-719e-45b0-b360-7e2819faca53");
  CHECK(with_uuid[2]["mac"] == "A0:B1:C2:D3:E4:F7");
  CHECK(with_uuid[1]["uuid"] != with_uuid[2]["uuid"]);

  auto psk = espprov({"psk", "--in", "-"}, uuid.out);
  REQUIRE(psk.exit_code == 0);
  auto with_psk = records_of(psk.out);
  REQUIRE(with_psk.size() == 3);
  CHECK(with_psk[0]["psk"] != with_psk[1]["psk"]);
  CHECK(with_psk[1]["uuid"] == with_uuid[1]["uuid"]);
}

TEST_CASE("a record pretty-printed over several lines is still one record", "[cli][ndjson]") {
  auto r = espprov({"uuid", "--in", "-"}, "{\n  \"mac\": \"A0:B1:C2:D3:E4:F5\"\n}\n");
  REQUIRE(r.exit_code == 0);
  CHECK(records_of(r.out).size() == 1);
}

TEST_CASE("one failing line among many: every line printed, the failing one as its error, exit 5", "[cli][ndjson]") {
  const std::string input = "{\"mac\":\"A0:B1:C2:D3:E4:F5\"}\n{\"mac\":\"A0:B1\"}\n{\"mac\":\"A0:B1:C2:D3:E4:F7\"}\n";
  auto r = espprov({"uuid", "--in", "-"}, input);
  CHECK(r.exit_code == exit_code(provision::ErrorCode::partial_failure));
  auto out = records_of(r.out);
  REQUIRE(out.size() == 3);
  CHECK(out[0]["ok"] == true);
  CHECK(out[1]["ok"] == false);
  CHECK(out[1]["error"]["code"] == "bad_input");
  CHECK(out[1]["error"]["field"] == "mac");
  CHECK(out[1]["mac"] == "A0:B1");  // the input line's fields say which board it was
  CHECK(out[2]["ok"] == true);
  CHECK_THAT(r.err, Catch::Contains("1 of 3 records failed"));
}

TEST_CASE("every line failing alike exits with that error's code, and upstream errors pass through", "[cli][ndjson]") {
  auto all_bad = espprov({"uuid", "--in", "-"}, "{\"mac\":\"1\"}\n{\"mac\":\"2\"}\n");
  CHECK(all_bad.exit_code == exit_code(provision::ErrorCode::bad_input));
  REQUIRE(records_of(all_bad.out).size() == 2);

  // The uuid step's error lines reach psk, which passes them on unchanged and works on the others.
  auto uuid = espprov({"uuid", "--in", "-"}, "{\"mac\":\"A0:B1:C2:D3:E4:F5\"}\n{\"mac\":\"zz\"}\n");
  auto psk = espprov({"psk", "--in", "-"}, uuid.out);
  CHECK(psk.exit_code == exit_code(provision::ErrorCode::partial_failure));
  auto out = records_of(psk.out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].contains("psk"));
  CHECK(out[1] == records_of(uuid.out)[1]);

  // A line that is not JSON is that line's error; the others still run.
  auto garbled = espprov({"uuid", "--in", "-"}, "{\"mac\":\"A0:B1:C2:D3:E4:F5\"}\nnot json\n");
  CHECK(garbled.exit_code == exit_code(provision::ErrorCode::partial_failure));
  auto lines = records_of(garbled.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1]["error"]["field"] == "in");
  CHECK_THAT(lines[1]["error"]["message"].get<std::string>(), Catch::Contains("record 2"));
}

TEST_CASE("csv output of many records is one header and one row per record", "[cli][ndjson]") {
  auto r = espprov({"uuid", "--in", "-", "--format", "csv"}, kThreeMacs);
  REQUIRE(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 4);
  CHECK(r.out.rfind("ok,mac", 0) == 0);
  CHECK(r.out.find("ok,mac", 1) == std::string::npos);
}

TEST_CASE("a flag giving one device's value is refused for many records", "[cli][ndjson]") {
  auto uuid = espprov({"uuid", "--in", "-", "--uuid", "12345678-1234-1234-1234-123456789012"}, kThreeMacs);
  CHECK(uuid.exit_code == exit_code(provision::ErrorCode::usage));
  CHECK_THAT(uuid.err, Catch::Contains("--uuid") && Catch::Contains("3 records"));
  auto psk = espprov({"psk", "--in", "-", "--psk", std::string(64, 'a')}, kThreeMacs);
  CHECK(psk.exit_code == exit_code(provision::ErrorCode::usage));
  CHECK(Record::parse(psk.out)["error"]["field"] == "psk");
}

TEST_CASE("nvs-build writes one image per record, named by --out's {field}", "[cli][ndjson]") {
  TempDir dir;
  auto identities = espprov({"psk", "--in", "-"}, espprov({"uuid", "--in", "-"}, kThreeMacs).out);
  REQUIRE(identities.exit_code == 0);
  auto one_file = espprov({"nvs-build", "--in", "-", "--out", (dir / "creds.bin").string()}, identities.out);
  CHECK(one_file.exit_code == exit_code(provision::ErrorCode::usage));
  CHECK_THAT(one_file.err, Catch::Contains("{mac_hex}"));
  CHECK_FALSE(std::filesystem::exists(dir / "creds.bin"));

  auto built = espprov({"nvs-build", "--in", "-", "--out", (dir / "creds-{uuid}.bin").string()}, identities.out);
  INFO(built.err);
  REQUIRE(built.exit_code == 0);
  auto out = records_of(built.out);
  REQUIRE(out.size() == 3);
  for (const auto& record : out) {
    const std::string file = record["nvs_file"];
    CHECK(file == (dir / ("creds-" + record["uuid"].get<std::string>() + ".bin")).string());
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto dump = espprov({"nvs-dump", file});
    CHECK(dump.exit_code == 0);
    CHECK(Record::parse(dump.out)["nvs_md5"] == record["nvs_md5"]);
  }
  // A field the records lack (or a secret) is each record's error.
  auto secret = espprov({"nvs-build", "--in", "-", "--out", (dir / "x-{psk}.bin").string()}, identities.out);
  CHECK(secret.exit_code == exit_code(provision::ErrorCode::bad_input));
  CHECK(records_of(secret.out).size() == 3);
}

TEST_CASE("board steps refuse many records unless each names its port", "[cli][ndjson]") {
  auto info = espprov({"info", "--in", "-"}, kThreeMacs);
  CHECK(info.exit_code == exit_code(provision::ErrorCode::usage));
  CHECK_THAT(info.err, Catch::Contains("3 without a \"port\""));
  const std::string with_ports = "{\"port\":\"/dev/null-a\"}\n{\"port\":\"/dev/null-b\"}\n";
  auto one_port = espprov({"wifi", "--in", "-", "--port", "/dev/ttyUSB0", "--ssid", "x", "--open"}, with_ports);
  CHECK(one_port.exit_code == exit_code(provision::ErrorCode::usage));
  CHECK_THAT(one_port.err, Catch::Contains("every record to one board"));
  auto flash = espprov({"flash", "--in", "-", "--port", "/dev/ttyUSB0", "--offset", "0x3F0000", "x.bin"}, with_ports);
  CHECK(flash.exit_code == exit_code(provision::ErrorCode::usage));
  CHECK_THAT(flash.err, Catch::Contains("one board per run"));
}

TEST_CASE("info reads one record per board, each with its port, against the simulator", "[cli][ndjson][sim]") {
  sim_test::SimRun sim(2, "esp32c3", {"--boot", "app"});
  std::string input;
  for (const auto& device : sim.devices()) input += Record{{"port", device.port}}.dump() + "\n";
  auto r = espprov({"info", "--in", "-"}, input);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto out = records_of(r.out);
  REQUIRE(out.size() == 2);
  CHECK(out[0]["mac"] == sim.devices()[0].mac);
  CHECK(out[1]["mac"] == sim.devices()[1].mac);
}

TEST_CASE("ca-register registers every record, keeps them all in --save, prints one record each", "[cli][ndjson]") {
  TempDir dir;
  e2e::CaRun ca(dir);
  auto identities = espprov({"psk", "--in", "-"}, espprov({"uuid", "--in", "-"}, kThreeMacs).out);
  REQUIRE(identities.exit_code == 0);
  const auto save = (dir / "registered.ndjson").string();
  auto r = espprov(
      {"ca-register", "--in", "-", "--chip", "esp32c3", "--ca-url", ca.url(), "--token-file", ca.token_file(),
       "--ca-bundle", ca.ca_cert(), "--ca-cert", ca.ca_cert(), "--ledger", (dir / "ledger.db").string(), "--save", save, "--progress", "none"},
      identities.out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto out = records_of(r.out);
  REQUIRE(out.size() == 3);
  for (const auto& record : out) CHECK(record["certificate"].get<std::string>().find("-----BEGIN CERTIFICATE-----") == 0);
  std::ifstream saved(save);
  std::string all((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
  CHECK(records_of(all).size() == 3);
  CHECK(ca.list().size() == 3);

  // Again: each board is now a 409 (its PSK registered), so every line fails alike.
  auto again = espprov(
      {"ca-register", "--in", "-", "--chip", "esp32c3", "--ca-url", ca.url(), "--token-file", ca.token_file(),
       "--ca-bundle", ca.ca_cert(), "--ca-cert", ca.ca_cert(), "--no-ledger", "--save", (dir / "again.ndjson").string(), "--progress", "none"},
      espprov({"psk", "--in", "-"}, espprov({"uuid", "--in", "-"}, kThreeMacs).out).out);
  CHECK(again.exit_code == exit_code(provision::ErrorCode::ca_conflict));
  CHECK(records_of(again.out).size() == 3);
}

}  // namespace ndjson_intake_test
