// --format and --csv-header through the real espprov binary: the one writer every command prints with
// (cli/espprov/output.hpp): tables for lists in text, one row per list item in csv, errors in every format, and a
// CSV appended to a file with >> that keeps a single header.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "provision/error.hpp"
#include "provision/record.hpp"
#include "sim/sim_run.hpp"
#include "support/process.hpp"

namespace output_test {

using namespace test_support;
using provision::Record;

namespace {

ProcessResult espprov(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), bin_path("espprov").string());
  return run_process(args, input);
}

// Runs a command line in the shell, so that stdout is a file the shell opened (>> appends).
ProcessResult shell(const std::string& command) {
  return run_process({"/bin/sh", "-c", command});
}

std::string quoted(const std::string& text) {
  return "'" + text + "'";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

constexpr const char* kUuidHeader = "ok,mac,mac_hex,uuid,uuid_scheme";

}  // namespace

TEST_CASE("text output prints an error as a readable block on stdout with the usual exit code", "[cli][output]") {
  auto r = espprov({"mac", "--mac", "A0B1C2", "--format", "text"});
  CHECK(r.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  CHECK_THAT(r.out,
             Catch::StartsWith("error: bad_input (exit " +
                               std::to_string(provision::exit_code_of(provision::ErrorCode::bad_input)) + ")\n"));
  CHECK_THAT(r.out, Catch::Contains("\nfield: mac\n"));
  CHECK_THAT(r.out, Catch::Contains("message: mac"));
  CHECK_THAT(r.err, Catch::Contains("espprov: error:"));
}

TEST_CASE("text output passes an earlier step's error on as a block with the record's fields", "[cli][output]") {
  auto bad = espprov({"mac", "--mac", "xyz"});
  auto r = espprov({"uuid", "--in", "-", "--format", "text"}, bad.out);
  CHECK(r.exit_code == bad.exit_code);
  CHECK_THAT(r.out, Catch::StartsWith("error: bad_input"));
  CHECK_THAT(r.out, !Catch::Contains("{\""));
}

TEST_CASE("csv appended with >> to a file that has content does not repeat the header", "[cli][output]") {
  TempDir dir;
  const auto file = dir / "devices.csv";
  const std::string step = quoted(bin_path("espprov").string()) + " uuid --format csv --mac ";
  REQUIRE(shell(step + "A0B1C2D3E4F5 >> " + quoted(file.string())).exit_code == 0);
  REQUIRE(shell(step + "A0B1C2D3E4F6 >> " + quoted(file.string())).exit_code == 0);
  auto lines = lines_of(read_text(file));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == kUuidHeader);
  CHECK_THAT(lines[1], Catch::Contains("A0:B1:C2:D3:E4:F5"));
  CHECK_THAT(lines[2], Catch::Contains("A0:B1:C2:D3:E4:F6"));

  // > truncates: the file is empty when espprov looks, so the header comes back.
  REQUIRE(shell(step + "A0B1C2D3E4F7 > " + quoted(file.string())).exit_code == 0);
  CHECK(lines_of(read_text(file)).size() == 2);
}

TEST_CASE("output: --csv-header always and never override what stdout looks like", "[cli][output]") {
  TempDir dir;
  const auto file = dir / "devices.csv";
  const std::string step = quoted(bin_path("espprov").string()) + " uuid --format csv --mac A0B1C2D3E4F5 ";
  REQUIRE(shell(step + "--csv-header never > " + quoted(file.string())).exit_code == 0);
  REQUIRE(shell(step + "--csv-header always >> " + quoted(file.string())).exit_code == 0);
  auto lines = lines_of(read_text(file));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] != kUuidHeader);
  CHECK(lines[1] == kUuidHeader);
  // On a pipe (not a file) auto always writes it.
  CHECK_THAT(espprov({"uuid", "--format", "csv", "--mac", "A0B1C2D3E4F5"}).out, Catch::StartsWith(kUuidHeader));
  auto bad = espprov({"uuid", "--format", "csv", "--csv-header", "sometimes", "--mac", "A0B1C2D3E4F5"});
  CHECK(bad.exit_code == provision::exit_code_of(provision::ErrorCode::usage));
}

TEST_CASE("nvs-dump prints its entries as a table in text and one row per entry in csv", "[cli][output]") {
  TempDir dir;
  const auto image = (dir / "creds.bin").string();
  auto record = espprov({"psk", "--in", "-"}, espprov({"uuid", "--mac", "A0B1C2D3E4F5"}).out);
  auto built = espprov({"nvs-build", "--in", "-", "--out", image}, record.out);
  REQUIRE(built.exit_code == 0);

  auto text = espprov({"nvs-dump", image, "--format", "text"});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, !Catch::Contains("{\""));
  auto lines = lines_of(text.out);
  auto header =
      std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("namespace", 0) == 0; });
  REQUIRE(header != lines.end());
  CHECK_THAT(*header, Catch::Contains("key") && Catch::Contains("type") && Catch::Contains("value"));
  // Aligned: the key column starts at the same place on the header and on every entry row.
  const auto key_column = header->find("key");
  std::size_t entries = 0;
  for (auto it = header + 1; it != lines.end() && !it->empty(); ++it, ++entries) {
    CHECK(it->substr(0, 9) == "provision");
    CHECK((*it)[key_column - 1] == ' ');
    CHECK((*it)[key_column] != ' ');
  }
  CHECK(entries >= 3);  // uuid, mac and more

  auto csv = espprov({"nvs-dump", image, "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  auto rows = lines_of(csv.out);
  REQUIRE(rows.size() == entries + 1);
  CHECK_THAT(rows[0], Catch::Contains("nvs_file") && Catch::Contains("namespace") && Catch::Contains("key"));
  for (std::size_t i = 1; i < rows.size(); ++i) CHECK_THAT(rows[i], Catch::Contains(image));
  CHECK_THAT(csv.out, Catch::Contains(",uuid,") && Catch::Contains("04e4822c-719e-45b0-b360-7e2819faca53"));
}

TEST_CASE("help exit-codes is a table in text, numbers right-aligned", "[cli][output]") {
  auto r = espprov({"help", "exit-codes"});
  REQUIRE(r.exit_code == 0);
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() > 3);
  CHECK_THAT(lines[0], Catch::StartsWith("exit  code"));
  CHECK_THAT(lines[1], Catch::StartsWith("   0  "));
  CHECK_THAT(r.out, Catch::Contains("   2  usage"));
}

TEST_CASE("wifi scan and wifi list print tables in text and one network per csv row with the port",
          "[cli][output][sim]") {
  sim_test::SimRun sim(1, "esp32c3", {"--boot", "app"});
  const auto& port = sim.devices()[0].port;

  auto json = espprov({"wifi", "scan", "--port", port});
  REQUIRE(json.exit_code == 0);
  const auto networks = Record::parse(json.out)["networks"];
  REQUIRE(networks.size() >= 1);

  auto text = espprov({"wifi", "scan", "--port", port, "--format", "text"});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, !Catch::Contains("{\""));
  auto lines = lines_of(text.out);
  // The record's own fields, a blank line, then the table: a header and one line per network.
  auto header = std::find(lines.begin(), lines.end(), std::string());
  REQUIRE(header != lines.end());
  ++header;
  REQUIRE(header != lines.end());
  CHECK_THAT(*header, Catch::Contains("ssid") && Catch::Contains("rssi"));
  CHECK(static_cast<std::size_t>(lines.end() - header) == networks.size() + 1);
  CHECK_THAT(text.out, Catch::Contains("port: " + port));

  auto csv = espprov({"wifi", "scan", "--port", port, "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  auto rows = lines_of(csv.out);
  REQUIRE(rows.size() == networks.size() + 1);
  CHECK_THAT(rows[0], Catch::Contains("port") && Catch::Contains("ssid") && Catch::Contains("rssi"));
  for (std::size_t i = 1; i < rows.size(); ++i) CHECK_THAT(rows[i], Catch::Contains(port));
  CHECK_THAT(rows[1], Catch::Contains(networks[0]["ssid"].get<std::string>()));

  auto add = espprov({"wifi", "add", "--port", port, "--ssid", "espprov-lab", "--password", "correct horse battery"});
  REQUIRE(add.exit_code == 0);
  auto list = espprov({"wifi", "list", "--port", port, "--format", "text"});
  REQUIRE(list.exit_code == 0);
  CHECK_THAT(list.out, !Catch::Contains("{\""));
  CHECK_THAT(list.out, Catch::Contains("espprov-lab"));
  auto list_csv = espprov({"wifi", "list", "--port", port, "--format", "csv"});
  CHECK(lines_of(list_csv.out).size() == 2);
}

}  // namespace output_test
