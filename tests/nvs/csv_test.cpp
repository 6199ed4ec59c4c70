// nvs_partition_gen's CSV dialect and value encodings.
#include <catch2/catch.hpp>

#include "provision/error.hpp"
#include "provision/nvs_csv.hpp"

namespace csv_test {

namespace nvs = provision::nvs;

namespace {
nvs::Content from_csv(std::string_view text) {
  return nvs::content_from_csv(text, [](const std::string& path) -> std::vector<std::uint8_t> {
    if (path == "hello.txt") return {'h', 'i', '\n'};
    throw provision::Error(provision::ErrorCode::io, "cannot open " + path, "path");
  });
}

std::string error_of(std::string_view text) {
  try {
    from_csv(text);
  } catch (const provision::Error& error) {
    return error.what();
  }
  return {};
}
}  // namespace

TEST_CASE("csv: quoted commas, doubled quotes and multi-line values", "[nvs][csv]") {
  auto rows = nvs::parse_csv("a,\"b,c\",\"say \"\"hi\"\"\",\"one\ntwo\"\n");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].fields == std::vector<std::string>{"a", "b,c", "say \"hi\"", "one\ntwo"});
}

TEST_CASE("csv: '#' lines are dropped, even inside a quoted value, a '#' later in a line is data", "[nvs][csv]") {
  auto rows = nvs::parse_csv("# c\nk,\"x\n# dropped\ny\"\nh,#data\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].fields[1] == "x\ny");
  CHECK(rows[0].line == 2);
  CHECK(rows[1].fields[1] == "#data");
  CHECK(rows[1].line == 5);
}

TEST_CASE("csv: CRLF files read like LF files and quoted CRLF becomes LF", "[nvs][csv]") {
  auto rows = nvs::parse_csv("\xEF\xBB\xBFkey,value\r\na,\"1\r\n2\"\r\n\r\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].fields[0] == "key");
  CHECK(rows[1].fields[1] == "1\n2");
}

TEST_CASE("csv: spaces are kept and text after a closing quote is appended", "[nvs][csv]") {
  auto rows = nvs::parse_csv("  a  ,\"b\"c,d\"e\n");
  CHECK(rows[0].fields == std::vector<std::string>{"  a  ", "bc", "d\"e"});
}

TEST_CASE("csv: an unterminated quote names the line it started on", "[nvs][csv]") {
  try {
    nvs::parse_csv("key,type\nk,\"open\nmore\n");
    FAIL("no error");
  } catch (const provision::Error& error) {
    CHECK(std::string(error.what()).find("line 2") != std::string::npos);
  }
}

TEST_CASE("csv content: rows become namespace definitions and typed items in order", "[nvs][csv]") {
  auto content = from_csv(
      "key,type,encoding,value\nns,namespace,,\na,data,i16,-5\nb,data,hex2bin, 0aff \nc,file,string,hello.txt\n"
      "d,data,binary,xy\n");
  REQUIRE(content.elements().size() == 5);
  CHECK(content.find("ns", "a")->as_signed() == -5);
  CHECK(content.find("ns", "b")->bytes == std::vector<std::uint8_t>{0x0a, 0xff});
  CHECK(content.find("ns", "c")->as_string() == "hi\n");
  CHECK(content.find("ns", "d")->type == nvs::ValueType::blob);
}

TEST_CASE("csv content: errors name the line and the key", "[nvs][csv]") {
  CHECK(error_of("key,type,encoding,value\nk,data,u8,1\n").find("before any namespace") != std::string::npos);
  CHECK(error_of("key,type,encoding,value\nn,namespace,,\nk,data,u8,1,extra\n").find("line 3") != std::string::npos);
  CHECK(error_of("key,type,encoding,value\nn,namespace,,\nk,blob,u8,1\n").find("unknown type 'blob'") !=
        std::string::npos);
  CHECK(error_of("key,type,encoding,value\nn,namespace,,\nk,data,u16,12x\n").find("'k'") != std::string::npos);
  CHECK(error_of("key,type,encoding,value\nn,namespace,,\nk,data,u8,1\nk,data,u8,2\n").find("twice") !=
        std::string::npos);
  CHECK(error_of("key,type,encoding,value\nn,namespace,,\nf,file,binary,nope.bin\n").find("nope.bin") !=
        std::string::npos);
  CHECK(error_of("key,type\n").find("'encoding'") != std::string::npos);
}

TEST_CASE("integers parse like Python's int and refuse values outside the type", "[nvs][csv]") {
  CHECK(nvs::decode_value("i8", " -128 ", "k").as_signed() == -128);
  CHECK(nvs::decode_value("u64", "18446744073709551615", "k").as_unsigned() == UINT64_MAX);
  CHECK(nvs::decode_value("u32", "1_000", "k").as_unsigned() == 1000);
  CHECK_THROWS_WITH(nvs::decode_value("i8", "128", "k"), Catch::Contains("-128..127"));
  CHECK_THROWS_WITH(nvs::decode_value("u64", "18446744073709551616", "k"), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(nvs::decode_value("u8", "0x10", "k"), Catch::Contains("not a decimal integer"));
  CHECK_THROWS_WITH(nvs::decode_value("u8", "", "k"), Catch::Contains("not a decimal integer"));
}

TEST_CASE("base64 decodes leniently like binascii and refuses bad padding", "[nvs][csv]") {
  CHECK(nvs::decode_base64_lenient("aGk=", "k") == std::vector<std::uint8_t>{'h', 'i'});
  CHECK(nvs::decode_base64_lenient("aG\n k=", "k") == std::vector<std::uint8_t>{'h', 'i'});
  CHECK(nvs::decode_base64_lenient("aGk=trailing", "k") == std::vector<std::uint8_t>{'h', 'i'});
  CHECK_THROWS_WITH(nvs::decode_base64_lenient("aGk", "k"), Catch::Contains("'k'"));
  CHECK_THROWS_WITH(nvs::decode_base64_lenient("a", "k"), Catch::Contains("one more than a multiple of 4"));
}

TEST_CASE("hex2bin refuses odd lengths and non-hex digits naming the key", "[nvs][csv]") {
  CHECK_THROWS_WITH(nvs::decode_value("hex2bin", "abc", "h"), Catch::Contains("'h'") && Catch::Contains("odd"));
  CHECK_THROWS_WITH(nvs::decode_value("hex2bin", "zz", "h"), Catch::Contains("'h'"));
}

}  // namespace csv_test
