// The per-chip facts table: lookups, uniqueness of detection values, MAC word layout, flash size from JEDEC.
#include <catch2/catch.hpp>
#include <algorithm>
#include <set>

#include "provision/loader.hpp"

namespace chips_test {

using namespace provision::loader;

TEST_CASE("every chip is found by name, by each magic value and by its chip id", "[loader][chips]") {
  CHECK(all_chips().size() == 7);
  for (const auto& chip : all_chips()) {
    CHECK(find_chip_by_name(chip.name) == &chip);
    REQUIRE(chip.magic_count >= 1);
    for (std::size_t i = 0; i < chip.magic_count; ++i) CHECK(find_chip_by_magic(chip.magic_values[i]) == &chip);
    if (chip.security_chip_id) CHECK(find_chip_by_security_id(*chip.security_chip_id) == &chip);
    CHECK(chip.status_bytes == 4);
    CHECK(chip.flash_write_block == 0x400);
    CHECK(chip.mac_word1_address == chip.mac_word0_address + 4);
  }
  CHECK(find_chip_by_name("esp8266") == nullptr);
  CHECK(find_chip_by_magic(0xFFF0C101) == nullptr);  // ESP8266: not supported
  CHECK(find_chip_by_security_id(0) == nullptr);     // ESP32's image id, but its ROM has no GET_SECURITY_INFO
}

TEST_CASE("detection values are unique across chips", "[loader][chips]") {
  std::set<std::uint32_t> magics, ids;
  std::size_t magic_total = 0, id_total = 0;
  for (const auto& chip : all_chips()) {
    for (std::size_t i = 0; i < chip.magic_count; ++i, ++magic_total) magics.insert(chip.magic_values[i]);
    if (chip.security_chip_id) {
      ids.insert(*chip.security_chip_id);
      ++id_total;
    }
  }
  CHECK(magics.size() == magic_total);
  CHECK(ids.size() == id_total);
}

TEST_CASE("only the ESP32 ROM lacks GET_SECURITY_INFO and the FLASH_BEGIN encryption word", "[loader][chips]") {
  const auto* esp32 = find_chip_by_name("esp32");
  REQUIRE(esp32);
  CHECK_FALSE(supports(*esp32, Command::get_security_info));
  CHECK_FALSE(esp32->begin_has_encrypt_word);
  CHECK(esp32->spi.w0 == 0x80);
  for (const auto& chip : all_chips()) {
    CHECK(supports(chip, Command::spi_flash_md5));
    CHECK(supports(chip, Command::flash_defl_data));
    if (&chip != esp32) CHECK(supports(chip, Command::get_security_info));
  }
  CHECK_FALSE(find_chip_by_name("esp32s2")->security_chip_id);  // its 12-byte answer has no chip id
}

TEST_CASE("the MAC comes from the two eFuse words high byte first", "[loader][chips]") {
  // word0 = bytes 2..5, word1 low half = bytes 0..1 (ESP32 keeps its CRC in bits 16..23 of word 1).
  auto mac = mac_from_efuse_words(0xC4123456, 0x00AB240A);
  CHECK(provision::mac_colon(mac) == "24:0A:C4:12:34:56");
}

TEST_CASE("flash size follows the JEDEC capacity code", "[loader][chips]") {
  CHECK(flash_size_from_jedec(0x1640EF) == 4u * 1024 * 1024);
  CHECK(flash_size_from_jedec(0x1840EF) == 16u * 1024 * 1024);
  CHECK_FALSE(flash_size_from_jedec(0x000000));
  CHECK_FALSE(flash_size_from_jedec(0xFFFFFF));
  CHECK(flash_size_text(4u * 1024 * 1024) == "4MB");
  CHECK(flash_size_text(512 * 1024) == "512KB");
}

TEST_CASE("reset strategy names parse and round-trip, others are refused", "[loader][reset]") {
  for (auto name : {"default-reset", "usb-reset", "no-reset"}) CHECK(to_string(parse_before_reset(name)) == name);
  for (auto name : {"hard-reset", "run-app", "no-reset"}) CHECK(to_string(parse_after_reset(name)) == name);
  try {
    parse_before_reset("soft_reset");
    FAIL("accepted");
  } catch (const provision::Error& e) {
    CHECK(e.field() == "before");
    CHECK(std::string(e.what()).find("default-reset") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_after_reset("hard_reset"), provision::Error);
}

TEST_CASE("write results become record fields", "[loader][record]") {
  WriteResult result;
  result.offset = 0x3F0000;
  result.size = 4096;
  result.md5 = md5_hex(std::vector<std::uint8_t>{});
  result.written = result.verified = true;
  result.bytes_on_wire = 1234;
  result.seconds = 0.12345;
  auto fields = write_fields(result);
  CHECK(fields["offset"] == "0x3F0000");
  CHECK(fields["md5"] == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(fields["size"] == "0x1000");
  CHECK(fields["flash_verified"] == true);
  CHECK(fields["flash_skipped"] == false);
  CHECK(fields["bytes_on_wire"] == 1234);
  CHECK(fields["seconds"] == 0.123);
  ChipInfo chip{find_chip_by_name("esp32c6"), "security_info", 13, std::nullopt, std::nullopt, std::nullopt};
  auto chip_record = chip_fields(chip, 4u << 20);
  CHECK(chip_record["chip"] == "esp32c6");
  CHECK(chip_record["features"].size() == 4);
  CHECK(chip_record["flash_size"] == "4MB");
}

TEST_CASE("ESP32-C6 and ESP32-H2 give an EUI-64 with MAC_EXT between the OUI and the NIC part", "[loader][chips]") {
  // esptool's example: base MAC 60:55:f9:f7:2c:a2, MAC_EXT ff:fe in word 1 bits 16..31.
  const std::uint32_t word0 = 0xF9F72CA2, word1 = 0xFFFE6055;
  CHECK(eui64_from_efuse_words(word0, word1) == "60:55:F9:FF:FE:F7:2C:A2");
  CHECK(provision::mac_colon(mac_from_efuse_words(word0, word1)) == "60:55:F9:F7:2C:A2");
  CHECK(efuse_mac_problem(*find_chip_by_name("esp32c6"), word0, word1).empty());
  CHECK(find_chip_by_name("esp32c6")->has_mac_ext);
  CHECK(find_chip_by_name("esp32h2")->has_mac_ext);
  CHECK_FALSE(find_chip_by_name("esp32c3")->has_mac_ext);
}

TEST_CASE("GET_SECURITY_INFO flags and FLASH_CRYPT_CNT read as esptool reads them", "[loader][chips]") {
  ChipInfo chip;
  CHECK_FALSE(secure_download_enabled(chip));  // an ESP32: the ROM reports nothing
  chip.security_flags = 0x5;                           // SECURE_BOOT_EN | SECURE_DOWNLOAD_ENABLE
  chip.flash_crypt_cnt = 0x1;
  CHECK(secure_download_enabled(chip));
  CHECK(flash_encryption_enabled(chip));
  CHECK(security_flag_names(0x5) == std::vector<std::string>{"secure_boot", "secure_download"});
  chip.flash_crypt_cnt = 0x3;  // enabled, then disabled again: an even number of bits
  CHECK_FALSE(flash_encryption_enabled(chip));
  chip.flash_crypt_cnt = 0x7;
  CHECK(flash_encryption_enabled(chip));
  auto fields = chip_fields(chip);  // no facts: nothing to report
  CHECK(fields.empty());
  chip.facts = find_chip_by_name("esp32c3");
  fields = chip_fields(chip);
  CHECK(fields["secure_download"] == true);
  CHECK(fields["flash_encryption"] == true);
  CHECK(fields["security_flags"] == provision::Record::array({"secure_boot", "secure_download"}));
}

TEST_CASE("Secure Download Mode answers exactly the commands esptool's docs list", "[loader][chips]") {
  const std::vector<Command> allowed{Command::sync,        Command::spi_attach, Command::spi_set_params,
                                     Command::change_baudrate, Command::flash_begin, Command::flash_data,
                                     Command::flash_end,   Command::get_security_info};
  for (auto command : {Command::flash_begin, Command::flash_data, Command::flash_end, Command::mem_begin,
                       Command::mem_end, Command::mem_data, Command::sync, Command::write_reg, Command::read_reg,
                       Command::spi_set_params, Command::spi_attach, Command::read_flash_slow,
                       Command::change_baudrate, Command::flash_defl_begin, Command::flash_defl_data,
                       Command::flash_defl_end, Command::spi_flash_md5, Command::get_security_info}) {
    INFO(command_name(command));
    bool expected = std::find(allowed.begin(), allowed.end(), command) != allowed.end();
    CHECK(command_info(command).in_secure_download == expected);
  }
}

}  // namespace chips_test
