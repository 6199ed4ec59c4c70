// Property: build then read gives back the same content, for every type, random content included (fixed seed).
#include <catch2/catch.hpp>

#include <random>

#include "provision/error.hpp"
#include "provision/nvs.hpp"

namespace roundtrip_test {

namespace nvs = provision::nvs;

namespace {

nvs::Value random_value(std::mt19937_64& random, nvs::FormatVersion version) {
  const auto type = static_cast<nvs::ValueType>(std::uniform_int_distribution<int>(0, 9)(random));
  auto length = [&](std::size_t max) { return std::uniform_int_distribution<std::size_t>(0, max)(random); };
  const auto bits = random();
  switch (type) {
    case nvs::ValueType::string: {
      std::string text(length(version == nvs::FormatVersion::v1 ? 1983 : 3999), ' ');
      for (auto& c : text) c = static_cast<char>(std::uniform_int_distribution<int>(1, 255)(random));
      return nvs::Value::string(text);
    }
    case nvs::ValueType::blob: {
      std::vector<std::uint8_t> data(length(version == nvs::FormatVersion::v1 ? 1984 : 9000));
      for (auto& b : data) b = static_cast<std::uint8_t>(random());
      return nvs::Value::blob(data);
    }
    case nvs::ValueType::u8: return nvs::Value::unsigned_integer(type, bits & 0xFF);
    case nvs::ValueType::u16: return nvs::Value::unsigned_integer(type, bits & 0xFFFF);
    case nvs::ValueType::u32: return nvs::Value::unsigned_integer(type, bits & 0xFFFFFFFF);
    case nvs::ValueType::u64: return nvs::Value::unsigned_integer(type, bits);
    case nvs::ValueType::i8: return nvs::Value::integer(type, static_cast<std::int8_t>(bits));
    case nvs::ValueType::i16: return nvs::Value::integer(type, static_cast<std::int16_t>(bits));
    case nvs::ValueType::i32: return nvs::Value::integer(type, static_cast<std::int32_t>(bits));
    case nvs::ValueType::i64: return nvs::Value::integer(type, static_cast<std::int64_t>(bits));
  }
  return {};
}

nvs::Content random_content(std::mt19937_64& random, nvs::FormatVersion version) {
  nvs::Content content;
  const int namespaces = std::uniform_int_distribution<int>(1, 4)(random);
  const int items = std::uniform_int_distribution<int>(0, 40)(random);
  for (int i = 0; i < items; ++i) {
    const std::string ns = "ns" + std::to_string(std::uniform_int_distribution<int>(1, namespaces)(random));
    if (random() % 8 == 0) content.declare_namespace("empty" + std::to_string(i % 3));
    content.add(ns, "key_" + std::to_string(i), random_value(random, version));
  }
  return content;
}

}  // namespace

TEST_CASE("round trip: random content of every type reads back equal, plain and encrypted", "[nvs][roundtrip]") {
  std::mt19937_64 random(0x5EED);
  int built = 0;
  for (int round = 0; round < 150; ++round) {
    const auto version = round % 3 == 0 ? nvs::FormatVersion::v1 : nvs::FormatVersion::v2;
    const auto content = random_content(random, version);
    nvs::BuildOptions options;
    options.size_bytes = 0x40000;
    options.version = version;
    if (round % 2 == 1) options.keys = nvs::generate_keys();
    std::vector<std::uint8_t> image;
    try {
      image = nvs::build_image(content, options);
    } catch (const provision::Error& error) {
      CHECK(error.code() == provision::ErrorCode::nvs_limit);  // the only acceptable refusal: it does not fit
      continue;
    }
    ++built;
    INFO("round " << round);
    const auto report = nvs::read_image(image, options.keys);
    for (const auto& p : report.problems) UNSCOPED_INFO(p.message);
    CHECK(report.valid());
    CHECK(report.content == content);
  }
  CHECK(built > 120);
}

TEST_CASE("round trip: integer extremes keep their sign and width", "[nvs][roundtrip]") {
  nvs::Content content;
  content.add("n", "i8", nvs::Value::integer(nvs::ValueType::i8, -128));
  content.add("n", "i64", nvs::Value::integer(nvs::ValueType::i64, INT64_MIN));
  content.add("n", "u64", nvs::Value::unsigned_integer(nvs::ValueType::u64, UINT64_MAX));
  content.add("n", "empty", nvs::Value::string(""));
  content.add("n", "blob0", nvs::Value::blob({}));
  nvs::BuildOptions options;
  options.size_bytes = 0x3000;
  const auto report = nvs::read_image(nvs::build_image(content, options));
  CHECK(report.valid());
  CHECK(report.content == content);
  CHECK(report.content.find("n", "i8")->as_signed() == -128);
}

}  // namespace roundtrip_test
