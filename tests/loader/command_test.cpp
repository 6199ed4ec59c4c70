// Command packets: byte-exact requests (recorded from the documented layout), responses as ROMs send them,
// status bytes, checksums, timeouts per class and the ROM error table. Pure: no I/O.
#include <catch2/catch.hpp>

#include "provision/loader/command.hpp"
#include "provision/loader/slip.hpp"

namespace command_test {

using namespace provision::loader;

TEST_CASE("SYNC request is byte-exact", "[loader][command]") {
  auto frame = slip_encode(encode_request(Command::sync, sync_body()));
  Bytes expected{0xC0, 0x00, 0x08, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x07, 0x12, 0x20};
  expected.insert(expected.end(), 32, 0x55);
  expected.push_back(0xC0);
  CHECK(frame == expected);
}

TEST_CASE("READ_REG request and a recorded ESP32-C3 answer", "[loader][command]") {
  CHECK(encode_request(Command::read_reg, read_reg_body(0x40001000)) ==
        Bytes{0x00, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x40});
  // Response: direction 1, READ_REG, size 4 (just the status bytes), value 0x6921506F, status ok.
  Bytes answer{0x01, 0x0A, 0x04, 0x00, 0x6F, 0x50, 0x21, 0x69, 0x00, 0x00, 0x00, 0x00};
  auto parsed = parse_response(answer, 4);
  REQUIRE(parsed.response);
  CHECK(parsed.response->command == 0x0A);
  CHECK(parsed.response->value == 0x6921506F);
  CHECK(parsed.response->data.empty());
  CHECK(parsed.response->ok());
}

TEST_CASE("a failing response carries the ROM error code", "[loader][command]") {
  Bytes answer{0x01, 0x03, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x07, 0x00, 0x00};
  auto parsed = parse_response(answer, 4);
  REQUIRE(parsed.response);
  CHECK_FALSE(parsed.response->ok());
  CHECK(parsed.response->error == 0x07);
}

TEST_CASE("status bytes are taken from the end, two or four of them", "[loader][command]") {
  // SPI_FLASH_MD5 from a ROM: 32 hex characters then four status bytes.
  std::string md5 = "d41d8cd98f00b204e9800998ecf8427e";
  Bytes answer{0x01, 0x13, 36, 0x00, 0, 0, 0, 0};
  answer.insert(answer.end(), md5.begin(), md5.end());
  answer.insert(answer.end(), {0x00, 0x00, 0x00, 0x00});
  auto four = parse_response(answer, 4);
  REQUIRE(four.response);
  CHECK(std::string(four.response->data.begin(), four.response->data.end()) == md5);
  // The same bytes read with two status bytes keep two zero bytes as data.
  auto two = parse_response(answer, 2);
  REQUIRE(two.response);
  CHECK(two.response->data.size() == 34);
}

TEST_CASE("frames that are not responses are explained", "[loader][command]") {
  CHECK(parse_response(Bytes{0x01, 0x08}, 4).problem.find("shorter") != std::string::npos);
  CHECK(parse_response(Bytes{0x00, 0x08, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 4).problem.find("direction") !=
        std::string::npos);
  CHECK(parse_response(Bytes{0x01, 0x08, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 4).problem.find("size field") !=
        std::string::npos);
  CHECK(parse_response(Bytes{0x01, 0x08, 0x02, 0, 0, 0, 0, 0, 0, 0}, 4).problem.find("status") != std::string::npos);
}

TEST_CASE("data checksum is 0xEF xor every byte", "[loader][command]") {
  CHECK(data_checksum(Bytes{}) == 0xEF);
  CHECK(data_checksum(Bytes{0xEF}) == 0x00);
  CHECK(data_checksum(Bytes{0x01, 0x02, 0x04}) == (0xEF ^ 0x07));
  auto request = encode_request(Command::flash_data, flash_data_body(3, Bytes{0xAA}), data_checksum(Bytes{0xAA}));
  CHECK(request[4] == (0xEF ^ 0xAA));
  CHECK(request[2] == 17);  // 16 header bytes + 1 data byte
  CHECK(get_u32(request, 8) == 1);
  CHECK(get_u32(request, 12) == 3);
}

TEST_CASE("FLASH_BEGIN has the encryption word only where asked", "[loader][command]") {
  CHECK(flash_begin_body(0x1000, 4, 0x400, 0x9000, false).size() == 16);
  auto body = flash_begin_body(0x1000, 4, 0x400, 0x9000, true);
  REQUIRE(body.size() == 20);
  CHECK(get_u32(body, 12) == 0x9000);
  CHECK(get_u32(body, 16) == 0);
}

TEST_CASE("timeouts follow the command's class and scale with size", "[loader][command]") {
  CHECK(command_timeout(Command::sync) == Millis(100));
  CHECK(command_timeout(Command::read_reg) == Millis(3000));
  CHECK(command_timeout(Command::flash_data, 0x400) == Millis(3000));  // never below the default
  CHECK(command_timeout(Command::flash_begin, 4'000'000) == Millis(120'000));   // 30 s per MB
  CHECK(command_timeout(Command::flash_defl_data, 1'000'000) == Millis(40'000));  // 40 s per MB
  CHECK(command_timeout(Command::spi_flash_md5, 16'000'000) == Millis(128'000));  // 8 s per MB
  for (auto command : {Command::flash_begin, Command::flash_data, Command::flash_end, Command::sync,
                       Command::get_security_info, Command::spi_flash_md5, Command::read_flash_slow}) {
    CHECK_FALSE(command_name(command).empty());
  }
}

TEST_CASE("every documented ROM error code has its own message", "[loader][command]") {
  std::vector<std::string> seen;
  for (std::uint8_t code : {0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B}) {
    auto error = rom_error(Command::flash_data, code);
    std::string message = error.what();
    CHECK(error.code() == provision::ErrorCode::rom_error);
    CHECK(message.find("FLASH_DATA") != std::string::npos);
    CHECK(message.find(rom_error_text(code)) != std::string::npos);
    CHECK(rom_error_text(code) != "unknown error code");
    CHECK(std::find(seen.begin(), seen.end(), std::string(rom_error_text(code))) == seen.end());
    seen.emplace_back(rom_error_text(code));
  }
  CHECK(std::string(rom_error(Command::sync, 0x42).what()).find("0x42") != std::string::npos);
  CHECK(rom_error_text(0x42) == "unknown error code");
}

}  // namespace command_test
