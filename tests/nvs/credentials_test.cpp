// The credentials image (firmware/PROTOCOL.md section 2), through the library and `espprov nvs-build --in`.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "nvs/golden_support.hpp"
#include "provision/error.hpp"
#include "provision/files.hpp"
#include "provision/nvs.hpp"
#include "support/process.hpp"

namespace credentials_test {

namespace nvs = provision::nvs;
using provision::Record;

namespace {

Record device_record() {
  Record record = Record::object();
  record["mac"] = "A0:B1:C2:D3:E4:F5";
  record["uuid"] = "04e4822c-719e-45b0-b360-7e2819faca53";
  record["psk"] = std::string(64, 'a');
  record["certificate"] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  record["ca_cert"] = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
  record["wifi_ssid"] = "Factory-Line-3";
  record["wifi_password"] = "";
  return record;
}

}  // namespace

TEST_CASE("credentials: the record's fields become NUL-terminated strings in schema order", "[nvs][credentials]") {
  nvs::CredentialsOptions options;
  const auto image = nvs::build_credentials_image(device_record(), options);
  CHECK(image.size() == 0x10000);
  const auto report = nvs::read_image(image);
  REQUIRE(report.valid());
  std::vector<std::string> keys;
  for (const auto& element : report.content.elements()) {
    if (element.kind == nvs::Element::Kind::item) {
      keys.push_back(element.key);
      CHECK(element.namespace_name == "provision");
      CHECK(element.value.type == nvs::ValueType::string);
    }
  }
  CHECK(keys == std::vector<std::string>{"uuid", "psk", "mac", "device_cert", "ca_cert", "wifi_ssid",
                                         "wifi_password"});
  CHECK(report.content.find("provision", "device_cert")->as_string() == device_record()["certificate"]);
}

TEST_CASE("credentials: the image equals the one built from the equivalent nvs_partition_gen CSV",
          "[nvs][credentials]") {
  const auto record = device_record();
  std::string csv = "key,type,encoding,value\nprovision,namespace,,\n";
  for (auto [key, field] : {std::pair{"uuid", "uuid"}, {"psk", "psk"}, {"mac", "mac"}, {"device_cert", "certificate"},
                            {"ca_cert", "ca_cert"}, {"wifi_ssid", "wifi_ssid"}, {"wifi_password", "wifi_password"}}) {
    csv += std::string(key) + ",data,string,\"" + record[field].get<std::string>() + "\"\n";
  }
  nvs::BuildOptions build;
  build.size_bytes = 0x6000;
  nvs::CredentialsOptions options;
  options.size_bytes = 0x6000;
  CHECK(nvs::build_credentials_image(record, options) ==
        nvs::build_image(nvs::content_from_csv(csv, nullptr), build));
}

TEST_CASE("credentials: the legacy namespace 'deviceprovisioning' is refused, saying NVS allows 15",
          "[nvs][credentials]") {
  nvs::CredentialsOptions options;
  options.namespace_name = "deviceprovisioning";
  CHECK_THROWS_WITH(nvs::build_credentials_image(device_record(), options),
                    Catch::Contains("deviceprovisioning") && Catch::Contains("at most 15"));
}

TEST_CASE("credentials: a missing required field or an oversized value is refused naming it", "[nvs][credentials]") {
  auto record = device_record();
  record.erase("psk");
  CHECK_THROWS_WITH(nvs::credentials_content(record, "provision"), Catch::Contains("'psk'"));
  record = device_record();
  record["ca_cert"] = std::string(4000, 'c');
  try {
    nvs::credentials_content(record, "provision");
    FAIL("no error");
  } catch (const provision::Error& error) {
    CHECK(error.code() == provision::ErrorCode::nvs_limit);
    CHECK(error.field() == "ca_cert");
    CHECK(std::string(error.what()).find("4000") != std::string::npos);
  }
  record = device_record();
  record["uuid"] = 42;
  CHECK_THROWS_WITH(nvs::credentials_content(record, "provision"), Catch::Contains("expected a string"));
}

TEST_CASE("espprov nvs-build --in - extends the record and writes a 0600 image", "[nvs][credentials][cli]") {
  test_support::TempDir temp;
  const auto out = temp / "creds.bin";
  const auto keys = temp / "keys.bin";
  const auto result = test_support::run_process(
      {test_support::bin_path("espprov").string(), "nvs-build", "--in", "-", "--out", out.string(), "--size", "0x6000",
       "--generate-keys", keys.string()},
      device_record().dump());
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto record = Record::parse(result.out);
  CHECK(record["ok"] == true);
  CHECK(record["uuid"] == device_record()["uuid"]);
  CHECK(record["nvs_namespace"] == "provision");
  CHECK(record["nvs_size"] == "0x6000");
  CHECK(record["nvs_encrypted"] == true);
  CHECK(record["nvs_md5"].get<std::string>().size() == 32);
  struct stat info {};
  REQUIRE(::stat(keys.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const auto report = nvs::read_image(provision::read_file_bytes(out),
                                      nvs::parse_key_file(provision::read_file_bytes(keys)));
  CHECK(report.valid());
  CHECK(report.content.find("provision", "psk")->as_string() == std::string(64, 'a'));
  CHECK(result.err.find(std::string(64, 'a')) == std::string::npos);
}

TEST_CASE("espprov nvs-build refuses the legacy namespace and writes nothing", "[nvs][credentials][cli]") {
  test_support::TempDir temp;
  const auto result = test_support::run_process(
      {test_support::bin_path("espprov").string(), "nvs-build", "--in", "-", "--out", (temp / "x.bin").string(),
       "--namespace", "deviceprovisioning", "--generate-keys", (temp / "k.bin").string()},
      device_record().dump());
  CHECK(result.exit_code == provision::exit_code_of(provision::ErrorCode::nvs_limit));
  CHECK(result.err.find("at most 15") != std::string::npos);
  CHECK(std::filesystem::is_empty(temp.path()));
}

TEST_CASE("espprov nvs-build leaves no generated key file when the content does not fit", "[nvs][credentials][cli]") {
  test_support::TempDir temp;
  auto record = device_record();
  record["ca_cert"] = std::string(3990, 'c');
  record["certificate"] = std::string(3990, 'd');
  record["device_key"] = std::string(3990, 'k');
  const auto result = test_support::run_process(
      {test_support::bin_path("espprov").string(), "nvs-build", "--in", "-", "--out", (temp / "x.bin").string(),
       "--size", "0x3000", "--generate-keys", (temp / "k.bin").string()},
      record.dump());
  CHECK(result.exit_code == provision::exit_code_of(provision::ErrorCode::nvs_limit));
  CHECK(result.err.find("--size") != std::string::npos);
  CHECK(std::filesystem::is_empty(temp.path()));
}

}  // namespace credentials_test
