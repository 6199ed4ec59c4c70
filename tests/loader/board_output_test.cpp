// Mode detection from the first bytes a board sends: the ROM loader (a SLIP response, the download banner) versus
// an application's console (text lines). Pure: byte captures in, verdicts out. The captures are esptool's
// documented outputs (its --trace of a SYNC exchange, the boot logs in its "Boot Mode Selection" pages) and what
// the simulator sends (tests/loader/mode_detection_sim_test.cpp classifies the simulator live as well).
#include "provision/loader/board_output.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "provision/loader/command.hpp"
#include "provision/loader/slip.hpp"

namespace board_output_test {

using provision::loader::BoardOutput;
using provision::loader::Bytes;
using provision::loader::classify_board_output;

namespace {

Bytes bytes_of(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

BoardOutput kind_of(const Bytes& bytes) {
  return classify_board_output(bytes).kind;
}

// esptool --trace, an ESP32 answering SYNC: "Read 63 bytes: c0 01 08 04 00 07 07 12 20 00 00 00 00 c0 c0 01 ...".
const Bytes kEsp32SyncAnswers = {0xC0, 0x01, 0x08, 0x04, 0x00, 0x07, 0x07, 0x12, 0x20, 0x00, 0x00, 0x00, 0x00, 0xC0,
                                 0xC0, 0x01, 0x08, 0x04, 0x00, 0x07, 0x07, 0x12, 0x20, 0x00, 0x00, 0x00, 0x00, 0xC0};
// The ESP32 ROM after a reset with GPIO0 low (esptool's boot mode documentation; the simulator's ESP32 banner).
const std::string kEsp32DownloadBanner =
    "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))"
    "\r\nwaiting for download\r\n";
// The ESP32-C3 ROM banner the simulator prints on entering download mode.
const std::string kEsp32c3DownloadBanner =
    "ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\nrst:0x1 (POWERON),boot:0x7 (DOWNLOAD(USB/UART0/1))\r\n"
    "waiting for download\r\n";
// The same ROM booting from flash, then ESP-IDF's second-stage bootloader (esptool's documented boot log).
const std::string kEsp32FlashBoot =
    "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
    "configsip: 0, SPIWP:0xee\r\nclk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n"
    "mode:DIO, clock div:2\r\nload:0x3fff0030,len:6612\r\nentry 0x40078fa0\r\n"
    "I (29) boot: ESP-IDF v5.1 2nd stage bootloader\r\n";

}  // namespace

TEST_CASE("no bytes at all is silence", "[loader][board-output]") {
  auto verdict = classify_board_output(Bytes{});
  CHECK(verdict.kind == BoardOutput::silence);
  CHECK(verdict.evidence.empty());
}

TEST_CASE("SYNC answers as esptool traced them are the ROM loader", "[loader][board-output]") {
  auto verdict = classify_board_output(kEsp32SyncAnswers);
  CHECK(verdict.kind == BoardOutput::rom_loader);
  CHECK(verdict.evidence == "a ROM response to command 0x08");
}

TEST_CASE("a ROM response behind boot noise and a half line is still the ROM loader", "[loader][board-output]") {
  Bytes wire = bytes_of(kEsp32c3DownloadBanner + "\x01\x7f garbage");
  auto answer = provision::loader::slip_encode(Bytes{0x01, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0});
  wire.insert(wire.end(), answer.begin(), answer.end());
  CHECK(kind_of(wire) == BoardOutput::rom_loader);
}

TEST_CASE("a SLIP frame whose size field disagrees is no ROM response", "[loader][board-output]") {
  // Direction 0x01 and a command byte, but 9 bytes announced and 4 sent: a console's stray 0xC0s, not the ROM.
  auto frame = provision::loader::slip_encode(Bytes{0x01, 0x08, 0x09, 0x00, 0x07, 0x07, 0x12, 0x20, 0, 0, 0, 0});
  CHECK(kind_of(frame) == BoardOutput::unknown);
  // A request (direction 0x00), as a board echoing the station's SYNC would send it back, is not an answer either.
  auto echoed = provision::loader::slip_encode(
      provision::loader::encode_request(provision::loader::Command::sync, provision::loader::sync_body(), 0));
  CHECK(kind_of(echoed) == BoardOutput::unknown);
}

TEST_CASE("the ROM's download banner is the ROM loader, for the ESP32 and the newer ROMs", "[loader][board-output]") {
  CHECK(kind_of(bytes_of(kEsp32DownloadBanner)) == BoardOutput::rom_loader);
  auto verdict = classify_board_output(bytes_of(kEsp32c3DownloadBanner));
  CHECK(verdict.kind == BoardOutput::rom_loader);
  CHECK(verdict.evidence == "waiting for download");
  // The boot line alone already names the DOWNLOAD strap, before "waiting for download" has arrived.
  CHECK(kind_of(bytes_of("rst:0x1 (POWERON),boot:0x7 (DOWNLOAD(USB/UART0/1))\r\n")) == BoardOutput::rom_loader);
}

TEST_CASE("the reset preamble alone decides nothing: both modes print it", "[loader][board-output]") {
  CHECK(kind_of(bytes_of("ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\n")) == BoardOutput::unknown);
  CHECK(kind_of(
            bytes_of("ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n")) ==
        BoardOutput::unknown);
}

TEST_CASE("a flash boot with the second-stage bootloader's log is console text", "[loader][board-output]") {
  auto verdict = classify_board_output(bytes_of(kEsp32FlashBoot));
  CHECK(verdict.kind == BoardOutput::console_text);
  CHECK(verdict.evidence == "I (29) boot: ESP-IDF v5.1 2nd stage bootloader");
}

TEST_CASE("the firmware console's own lines are console text", "[loader][board-output]") {
  CHECK(kind_of(bytes_of("+READY\r\n")) == BoardOutput::console_text);
  CHECK(kind_of(bytes_of("\r\nOK\r\n")) == BoardOutput::console_text);
  // The console's answer to the SLIP SYNC frame followed by a line end: the frame's bytes make no command.
  CHECK(kind_of(bytes_of("ERROR:unknown_command\r\nOK\r\n")) == BoardOutput::console_text);
}

TEST_CASE("a console line still without its line end decides nothing yet", "[loader][board-output]") {
  CHECK(kind_of(bytes_of("I (312) wifi: connec")) == BoardOutput::unknown);
}

TEST_CASE("binary noise without a frame or a printable line is unknown", "[loader][board-output]") {
  Bytes noise;
  for (int i = 0; i < 200; ++i) noise.push_back(static_cast<std::uint8_t>((i * 7) % 32));
  noise.push_back('\n');
  CHECK(kind_of(noise) == BoardOutput::unknown);
}

TEST_CASE("a board that switched mode is judged by what it said last", "[loader][board-output]") {
  // The application answered AT+BOOTLOADER and rebooted into the ROM: the banner comes after its OK.
  CHECK(kind_of(bytes_of("OK\r\n" + kEsp32c3DownloadBanner)) == BoardOutput::rom_loader);
  // A reset into the application after a download banner: its log comes last.
  CHECK(kind_of(bytes_of(kEsp32c3DownloadBanner + "+READY\r\n")) == BoardOutput::console_text);
}

TEST_CASE("the evidence is printable and short whatever the line holds", "[loader][board-output]") {
  std::string line = "W (1) app: \x01\x02" + std::string(200, 'x') + "\r\n";
  auto verdict = classify_board_output(bytes_of(line));
  CHECK(verdict.kind == BoardOutput::console_text);
  CHECK(verdict.evidence.size() == 60);
  CHECK(verdict.evidence.find('\x01') == std::string::npos);
}

}  // namespace board_output_test
