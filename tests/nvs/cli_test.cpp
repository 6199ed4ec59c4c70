// espprov nvs-dump and nvs-keygen through the real binary.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "nvs/golden_support.hpp"
#include "provision/error.hpp"
#include "provision/files.hpp"
#include "support/process.hpp"

namespace nvs_cli_test {

using provision::Record;
using test_support::bin_path;
using test_support::run_process;
using test_support::shared_path;

TEST_CASE("nvs-dump lists a valid image with secrets redacted and exits 0", "[nvs][cli]") {
  const auto result = run_process({bin_path("espprov").string(), "nvs-dump",
                                   shared_path("golden/nvs/credentials/expected.bin").string()});
  REQUIRE(result.exit_code == 0);
  const auto record = Record::parse(result.out);
  CHECK(record["ok"] == true);
  CHECK(record["valid"] == true);
  const auto& entries = record["namespaces"][0]["entries"];
  CHECK(record["namespaces"][0]["name"] == "provisioning");
  CHECK(entries[0]["key"] == "uuid");
  CHECK(entries[0]["value"] == "6f1c2a9e-3b7d-4e58-9a0c-2d4b8e7f1a35");
  CHECK(entries[1]["key"] == "psk");
  CHECK(entries[1]["value"] == "***");
  CHECK(result.out.find("ea5fc09a0ac8ab93") == std::string::npos);
}

TEST_CASE("nvs-dump --show-secrets prints secret values", "[nvs][cli]") {
  const auto result = run_process({bin_path("espprov").string(), "nvs-dump",
                                   shared_path("golden/nvs/credentials/expected.bin").string(), "--show-secrets"});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("ea5fc09a0ac8ab93") != std::string::npos);
}

TEST_CASE("nvs-dump of a damaged image lists the problem and exits nvs_invalid", "[nvs][cli]") {
  test_support::TempDir temp;
  auto image = provision::read_file_bytes(shared_path("golden/nvs/int_limits/expected.bin"));
  image[64 + 32 * 3 + 24] ^= 1;  // entry 3's value
  provision::write_file_atomic(temp / "bad.bin", image);
  const auto result = run_process({bin_path("espprov").string(), "nvs-dump", (temp / "bad.bin").string()});
  CHECK(result.exit_code == provision::exit_code_of(provision::ErrorCode::nvs_invalid));
  const auto record = Record::parse(result.out);
  CHECK(record["ok"] == false);
  CHECK(record["valid"] == false);
  CHECK(record["error"]["code"] == "nvs_invalid");
  REQUIRE(record["problems"].size() == 1);
  CHECK(record["problems"][0]["kind"] == "entry_crc");
  CHECK(record["problems"][0]["page"] == 0);
  CHECK(record["problems"][0]["entry"] == 3);
}

TEST_CASE("nvs-dump --keys reads an encrypted image", "[nvs][cli][xts]") {
  const auto dir = shared_path("golden/nvs/encrypted_mixed");
  const auto result = run_process({bin_path("espprov").string(), "nvs-dump", (dir / "expected.bin").string(),
                                   "--keys", (dir / "keys.bin").string()});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(Record::parse(result.out)["nvs_encrypted"] == true);
}

TEST_CASE("nvs-keygen writes a 0600 key partition, --hmac-key reproduces the golden one", "[nvs][cli][keys]") {
  test_support::TempDir temp;
  auto result = run_process({bin_path("espprov").string(), "nvs-keygen", "--out", (temp / "k.bin").string()});
  REQUIRE(result.exit_code == 0);
  struct stat info {};
  REQUIRE(::stat((temp / "k.bin").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(info.st_size == 4096);
  const auto dir = shared_path("golden/nvs/keygen_hmac");
  result = run_process({bin_path("espprov").string(), "nvs-keygen", "--hmac-key", (dir / "hmac_key.bin").string(),
                        "--out", (temp / "h.bin").string()});
  REQUIRE(result.exit_code == 0);
  CHECK(provision::read_file_bytes(temp / "h.bin") == provision::read_file_bytes(dir / "expected.bin"));
}

TEST_CASE("nvs-dump of an empty or short file is invalid, not a valid empty partition", "[nvs][cli]") {
  test_support::TempDir temp;
  provision::write_file_atomic(temp / "short.bin", std::vector<std::uint8_t>(0x2000, 0xFF));
  for (const std::string& file : {std::string("/dev/null"), (temp / "short.bin").string()}) {
    const auto result = run_process({bin_path("espprov").string(), "nvs-dump", file});
    CHECK(result.exit_code == provision::exit_code_of(provision::ErrorCode::nvs_invalid));
    const auto record = Record::parse(result.out);
    CHECK(record["valid"] == false);
    CHECK(record["error"]["message"].get<std::string>().find("shorter than the smallest NVS partition") !=
          std::string::npos);
  }
}

}  // namespace nvs_cli_test
