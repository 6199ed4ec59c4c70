// Every case of ../shared/golden/nvs, produced by Espressif's nvs_partition_gen: success cases byte for byte,
// error cases refused with a message naming the key or limit, through the library and through espprov.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <map>

#include "nvs/golden_support.hpp"
#include "provision/error.hpp"
#include "provision/files.hpp"
#include "support/process.hpp"

namespace golden_test {

using namespace nvs_golden;
namespace nvs = provision::nvs;

namespace {

// What each error case's message must name (the key or the limit at fault).
const std::map<std::string, std::vector<std::string>> kErrorMessageMustName{
    {"blob_v1_1985_fails", {"1985", "1984"}},
    {"file_missing_fails", {"missing.bin"}},
    {"hex2bin_odd_length_fails", {"'h'", "odd"}},
    {"key_16_chars_fails", {"abcdefghijklmnop", "15"}},
    {"multipage_blob_v1_fails", {"'big'", "1984"}},
    {"namespace_18_chars_fails", {"deviceprovisioning", "18", "at most 15"}},
    {"size_not_multiple_fails", {"0x3100", "4096"}},
    {"size_too_small_fails", {"--size", "0x3000"}},
    {"string_len_4000_fails", {"'s'", "4000"}},
    {"string_v1_1984_fails", {"'s'", "1984"}},
    {"u8_out_of_range_fails", {"'bad'", "256", "255"}},
    {"unsupported_encoding_fails", {"'x'", "float"}},
};

std::vector<GoldenCase> image_cases() {
  std::vector<GoldenCase> cases;
  for (auto& golden : all_cases()) {
    if (golden.command != "generate-key") cases.push_back(golden);
  }
  return cases;
}

}  // namespace

TEST_CASE("the golden folder holds every documented case", "[nvs][golden]") {
  const auto cases = all_cases();
  CHECK(cases.size() >= 41);
  std::size_t errors = 0;
  for (const auto& golden : cases) errors += golden.expects_error() ? 1 : 0;
  CHECK(errors == kErrorMessageMustName.size());
}

TEST_CASE("golden success cases build byte-identical through the library", "[nvs][golden]") {
  for (const auto& golden : image_cases()) {
    if (golden.expects_error()) continue;
    INFO("case " << golden.name);
    const auto expected = read_bytes(golden.dir / "expected.bin");
    const auto actual = nvs::build_image(content_of(golden), build_options_of(golden));
    CHECK(first_difference(expected, actual) == "");
  }
}

TEST_CASE("golden error cases are refused by the library with a message naming the fault", "[nvs][golden]") {
  for (const auto& golden : image_cases()) {
    if (!golden.expects_error()) continue;
    INFO("case " << golden.name);
    REQUIRE(kErrorMessageMustName.count(golden.name) == 1);
    std::string message;
    try {
      nvs::build_image(content_of(golden), build_options_of(golden));
    } catch (const provision::Error& error) {
      message = error.what();
    }
    INFO("message: " << message);
    REQUIRE_FALSE(message.empty());
    for (const auto& part : kErrorMessageMustName.at(golden.name)) CHECK(message.find(part) != std::string::npos);
  }
}

TEST_CASE("espprov nvs-build reproduces every golden case and leaves no file on error", "[nvs][golden][cli]") {
  for (const auto& golden : image_cases()) {
    INFO("case " << golden.name);
    test_support::TempDir temp;
    const auto out = temp / "out.bin";
    std::vector<std::string> argv{test_support::bin_path("espprov").string(), "nvs-build", "--csv",
                                  (golden.dir / golden.csv).string(), "--size", golden.size, "--version",
                                  std::to_string(golden.version), "--out", out.string()};
    if (!golden.key_file.empty()) {
      argv.insert(argv.end(), {"--encrypt", "--keys", (golden.dir / golden.key_file).string()});
    }
    const auto result = test_support::run_process(argv);
    INFO("stderr: " << result.err);
    if (golden.expects_error()) {
      CHECK(result.exit_code != 0);
      CHECK(std::filesystem::is_empty(temp.path()));
      const auto record = provision::Record::parse(result.out);
      CHECK(record["ok"] == false);
    } else {
      REQUIRE(result.exit_code == 0);
      CHECK(first_difference(read_bytes(golden.dir / "expected.bin"), read_bytes(out)) == "");
      struct stat info {};
      REQUIRE(::stat(out.c_str(), &info) == 0);
      CHECK((info.st_mode & 0777) == 0600);
    }
  }
}

TEST_CASE("golden encrypted images decrypt to the plain image of the same CSV", "[nvs][golden][xts]") {
  std::size_t encrypted_cases = 0;
  for (const auto& golden : image_cases()) {
    if (golden.command != "encrypt") continue;
    ++encrypted_cases;
    INFO("case " << golden.name);
    const auto keys = nvs::parse_key_file(read_bytes(golden.dir / golden.key_file));
    auto image = read_bytes(golden.dir / "expected.bin");
    const auto plain = read_bytes(golden.dir / "expected-plain.bin");
    nvs::decrypt_image(image, keys);
    CHECK(first_difference(plain, image) == "");
    auto options = build_options_of(golden);
    options.keys.reset();
    CHECK(first_difference(plain, nvs::build_image(content_of(golden), options)) == "");
  }
  CHECK(encrypted_cases == 2);
}

TEST_CASE("golden HMAC key derives the golden key partition", "[nvs][golden][keys]") {
  const auto dir = test_support::shared_path("golden/nvs/keygen_hmac");
  const auto keys = nvs::keys_from_hmac(read_bytes(dir / "hmac_key.bin"));
  CHECK(first_difference(read_bytes(dir / "expected.bin"), nvs::key_partition_image(keys)) == "");
  CHECK(nvs::parse_key_file(read_bytes(dir / "expected.bin")) == keys);
}

TEST_CASE("every golden image reads back valid with the content of its CSV", "[nvs][golden][reader]") {
  for (const auto& golden : image_cases()) {
    if (golden.expects_error()) continue;
    INFO("case " << golden.name);
    const auto options = build_options_of(golden);
    const auto report = nvs::read_image(read_bytes(golden.dir / "expected.bin"), options.keys);
    for (const auto& problem : report.problems) UNSCOPED_INFO(problem.kind << ": " << problem.message);
    CHECK(report.valid());
    CHECK(report.content == content_of(golden));
  }
}

}  // namespace golden_test
