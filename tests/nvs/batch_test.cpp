// mfg_gen-style batch: one image per values row; bad rows named by line and column, good rows still built.
#include <catch2/catch.hpp>

#include <algorithm>

#include "provision/error.hpp"
#include "provision/files.hpp"
#include "provision/nvs_csv.hpp"
#include "support/process.hpp"

namespace batch_test {

namespace nvs = provision::nvs;
using provision::Record;

namespace {

const char* kDefinitions =
    "key,type,encoding,value\n"
    "provision,namespace,,\n"
    "uuid,data,string,\n"
    "serial,data,u32,\n"
    "model,data,string,ESP32-C3-board\n";

nvs::FileLoader no_files() {
  return [](const std::string& path) -> std::vector<std::uint8_t> {
    throw provision::Error(provision::ErrorCode::io, "no file " + path, "path");
  };
}

}  // namespace

TEST_CASE("batch: each values row becomes the content of one device, defaults included", "[nvs][batch]") {
  auto plan = nvs::plan_batch(kDefinitions, "id,uuid,serial\nd1,u-1,1001\nd2,u-2,1002\n", "id", no_files());
  REQUIRE(plan.failures.empty());
  REQUIRE(plan.devices.size() == 2);
  CHECK(plan.devices[1].id == "d2");
  CHECK(plan.devices[1].content.find("provision", "serial")->as_unsigned() == 1002);
  CHECK(plan.devices[1].content.find("provision", "model")->as_string() == "ESP32-C3-board");
}

TEST_CASE("batch: bad cells are reported with line and column, other rows still planned", "[nvs][batch]") {
  auto plan = nvs::plan_batch(kDefinitions, "id,uuid,serial\nd1,u-1,1001\nd2,u-2,-5\nd3,u-3\nd1,u-4,7\n", "id",
                              no_files());
  REQUIRE(plan.devices.size() == 1);
  REQUIRE(plan.failures.size() == 3);
  CHECK(plan.failures[0].line == 3);
  CHECK(plan.failures[0].column == "serial");
  CHECK(plan.failures[0].message.find("-5") != std::string::npos);
  CHECK(plan.failures[1].line == 4);
  CHECK(plan.failures[1].message.find("2 values") != std::string::npos);
  CHECK(plan.failures[2].column == "id");
  CHECK(plan.failures[2].message.find("repeats line 2") != std::string::npos);
}

TEST_CASE("batch: a values column that no key defines is refused up front", "[nvs][batch]") {
  CHECK_THROWS_WITH(nvs::plan_batch(kDefinitions, "id,uuid,serial,colour\n", "id", no_files()),
                    Catch::Contains("'colour'"));
  CHECK_THROWS_WITH(nvs::plan_batch(kDefinitions, "id,uuid\n", "id", no_files()), Catch::Contains("'serial'"));
  CHECK_THROWS_WITH(nvs::plan_batch(kDefinitions, "uuid,serial\n", "id", no_files()), Catch::Contains("'id'"));
}

TEST_CASE("espprov nvs-batch writes one image per good row, a manifest, and exits partial_failure",
          "[nvs][batch][cli]") {
  test_support::TempDir temp;
  provision::write_file_atomic(temp / "keys.csv", std::string(kDefinitions));
  provision::write_file_atomic(temp / "devices.csv", std::string("id,uuid,serial\nd1,u-1,1001\nd2,u-2,x\n"));
  const auto out = temp / "out";
  const auto result = test_support::run_process(
      {test_support::bin_path("espprov").string(), "nvs-batch", "--definitions", (temp / "keys.csv").string(),
       "--values", (temp / "devices.csv").string(), "--id-column", "id", "--prefix", "line3", "--outdir",
       out.string(), "--size", "0x3000", "--encrypt", "--keys-per-device"});
  INFO(result.err);
  CHECK(result.exit_code == provision::exit_code_of(provision::ErrorCode::partial_failure));
  const auto summary = Record::parse(result.out);
  CHECK(summary["built"] == 1);
  CHECK(summary["failed"] == 1);
  CHECK(summary["failures"][0]["column"] == "serial");
  CHECK(summary["failures"][0]["line"] == 3);
  // The batch's own failure: the error object every command prints, naming the values file.
  CHECK(summary["ok"] == false);
  CHECK(summary["error"]["code"] == "partial_failure");
  CHECK(summary["error"]["field"] == "values");
  CHECK(summary["error"]["message"].get<std::string>().find("1 of 2 rows failed") != std::string::npos);
  CHECK(std::filesystem::exists(out / "line3-d1.bin"));
  CHECK_FALSE(std::filesystem::exists(out / "line3-d2.bin"));
  const auto keys = nvs::parse_key_file(provision::read_file_bytes(out / "line3-d1-keys.bin"));
  const auto report = nvs::read_image(provision::read_file_bytes(out / "line3-d1.bin"), keys);
  CHECK(report.valid());
  CHECK(report.content.find("provision", "uuid")->as_string() == "u-1");
  const auto manifest = Record::parse(provision::read_file_text(out / "line3-manifest.json"));
  REQUIRE(manifest.size() == 2);
  CHECK(manifest[0]["id"] == "d1");
  CHECK(manifest[1]["ok"] == false);
  CHECK(std::filesystem::exists(out / "line3-manifest.csv"));
}

TEST_CASE("espprov nvs-batch: every row failing alike exits with that error's code, one stderr line, error objects",
          "[nvs][batch][cli]") {
  test_support::TempDir temp;
  provision::write_file_atomic(temp / "keys.csv", std::string(kDefinitions));
  std::string values = "id,uuid,serial\n";
  for (int i = 0; i < 100; ++i) values += "d" + std::to_string(i) + ",u,not-a-number\n";
  provision::write_file_atomic(temp / "devices.csv", values);
  const auto result = test_support::run_process(
      {test_support::bin_path("espprov").string(), "nvs-batch", "--definitions", (temp / "keys.csv").string(),
       "--values", (temp / "devices.csv").string(), "--id-column", "id", "--outdir", (temp / "out").string(),
       "--size", "0x3000"});
  INFO(result.err);
  CHECK(result.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  const auto summary = Record::parse(result.out);
  CHECK(summary["failed"] == 100);
  CHECK(summary["failures"][0]["error"]["code"] == "bad_input");
  CHECK(summary["failures"][0]["error"]["field"] == "serial");
  CHECK(summary["failures"][0]["error"]["message"].get<std::string>().find("line 2") != std::string::npos);
  // The same {code, message, field} object, with the same keys, as any other command's failure.
  const auto other = test_support::run_process({test_support::bin_path("espprov").string(), "mac", "--mac", "zz"});
  REQUIRE(other.exit_code == provision::exit_code_of(provision::ErrorCode::bad_input));
  const auto other_error = Record::parse(other.out)["error"];
  REQUIRE(summary.contains("error"));
  std::vector<std::string> keys, other_keys;
  for (const auto& [key, value] : summary["error"].items()) keys.push_back(key);
  for (const auto& [key, value] : other_error.items()) other_keys.push_back(key);
  CHECK(keys == other_keys);
  CHECK(summary["error"]["code"] == "bad_input");
  CHECK(summary["error"]["field"] == "serial");
  CHECK(summary["error"]["message"].get<std::string>().find("100 of 100 rows failed") != std::string::npos);
  // One line on stderr, not one per row.
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
}

TEST_CASE("espprov nvs-batch --jobs: several threads write the same images and the same manifest as one",
          "[nvs][batch][cli]") {
  test_support::TempDir temp;
  provision::write_file_atomic(temp / "keys.csv", std::string(kDefinitions));
  std::string values = "id,uuid,serial\n";
  for (int i = 0; i < 200; ++i) values += "d" + std::to_string(i) + ",u-" + std::to_string(i) + "," +
                                          (i % 37 == 5 ? std::string("bad") : std::to_string(1000 + i)) + "\n";
  provision::write_file_atomic(temp / "devices.csv", values);
  auto run = [&](const std::string& jobs) {
    const auto out = temp / ("out-" + jobs);
    const auto result = test_support::run_process(
        {test_support::bin_path("espprov").string(), "nvs-batch", "--definitions", (temp / "keys.csv").string(),
         "--values", (temp / "devices.csv").string(), "--id-column", "id", "--outdir", out.string(), "--size",
         "0x3000", "--jobs", jobs});
    INFO(result.err);
    CHECK(result.exit_code == provision::exit_code_of(provision::ErrorCode::partial_failure));
    return out;
  };
  const auto one = run("1"), four = run("4");
  auto manifest_one = Record::parse(provision::read_file_text(one / "nvs-manifest.json"));
  auto manifest_four = Record::parse(provision::read_file_text(four / "nvs-manifest.json"));
  REQUIRE(manifest_one.size() == 200);
  REQUIRE(manifest_four.size() == 200);
  for (std::size_t i = 0; i < 200; ++i) {
    CHECK(manifest_one[i]["id"] == manifest_four[i]["id"]);
    CHECK(manifest_one[i]["ok"] == manifest_four[i]["ok"]);
    if (manifest_one[i]["ok"] == true) CHECK(manifest_one[i]["nvs_md5"] == manifest_four[i]["nvs_md5"]);
  }
  CHECK(provision::read_file_bytes(one / "nvs-d7.bin") == provision::read_file_bytes(four / "nvs-d7.bin"));
  for (const auto& entry : std::filesystem::directory_iterator(four)) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);  // no temporary file left
  }
}

}  // namespace batch_test
