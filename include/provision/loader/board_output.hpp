// Which side of a board is talking: the ROM download loader or the application's console. Pure: the bytes a board
// sent in, a verdict out; no I/O, no clock. The loader asks it when SYNC goes unanswered (is the firmware running?)
// and the console client asks it when AT goes unanswered (is the ROM loader waiting?), so a board in the other
// mode is named within a second instead of after every retry has timed out.
//
//   ROM loader    a SLIP frame that parses as a ROM response (direction 0x01, its size field matching), or the
//                 ROM's download banner ("boot:0x.. (DOWNLOAD...)", "waiting for download").
//   console text  a complete printable line that is not ROM boot output: an application log, "+READY", "OK",
//                 "ERROR:...", the second-stage bootloader's "I (29) boot: ..." lines.
//   unknown       bytes, but nothing decisive yet (binary noise, the ROM's reset preamble shared by both modes,
//                 a line still incomplete).
//   silence       no bytes at all.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace provision::loader {

enum class BoardOutput { silence, rom_loader, console_text, unknown };

struct BoardOutputVerdict {
  BoardOutput kind = BoardOutput::silence;
  // What decided it, short and printable (a console line cut to 60 characters, or "a ROM response to command
  // 0x08"); empty for silence and unknown.
  std::string evidence;
};

// Bytes a board sent, in arrival order; a ROM response anywhere wins (an application never frames one), else
// the last decisive line does (a board that switched mode speaks for its new mode last).
BoardOutputVerdict classify_board_output(std::span<const std::uint8_t> bytes);

const char* to_string(BoardOutput kind);

}  // namespace provision::loader
