// The ROM serial bootloader of one simulated chip, as Espressif's "Serial Protocol" documents it: takes one decoded
// SLIP frame, returns the response frames and what the device must do next. It touches no file descriptor and no
// clock: time the flash chip needs is returned as busy_ms for the device to honour.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "chip_table.hpp"
#include "flash_image.hpp"
#include "register_space.hpp"
#include "slip_codec.hpp"

namespace sim {

// Command opcodes (esptool docs, "Serial Protocol" / Commands).
enum class RomCommand : std::uint8_t {
  flash_begin = 0x02,
  flash_data = 0x03,
  flash_end = 0x04,
  mem_begin = 0x05,
  mem_end = 0x06,
  mem_data = 0x07,
  sync = 0x08,
  write_reg = 0x09,
  read_reg = 0x0A,
  spi_set_params = 0x0B,
  spi_attach = 0x0D,
  read_flash_slow = 0x0E,
  change_baudrate = 0x0F,
  flash_defl_begin = 0x10,
  flash_defl_data = 0x11,
  flash_defl_end = 0x12,
  spi_flash_md5 = 0x13,
  get_security_info = 0x14,
};

// ROM loader error values (esptool docs, "ROM Loader Errors").
enum class RomError : std::uint8_t {
  invalid_message = 0x05,
  failed_to_act = 0x06,
  invalid_crc = 0x07,
  flash_write = 0x08,
  flash_read = 0x09,
  flash_read_length = 0x0A,
  deflate = 0x0B,
};

struct LoaderReply {
  std::vector<Bytes> frames;                // response packets, not yet SLIP encoded
  double busy_ms = 0;                       // flash time before the replies leave
  std::optional<std::uint32_t> new_baud;    // switch after the replies left
  bool run_app = false;                     // leave the loader after the replies left
};

class RomLoader {
 public:
  RomLoader(const ChipFacts& chip, RegisterSpace& registers, FlashImage& flash, BoardSecurity security = {});
  ~RomLoader();
  RomLoader(const RomLoader&) = delete;
  RomLoader& operator=(const RomLoader&) = delete;

  LoaderReply handle_frame(const Bytes& frame);
  void reset();  // chip reset: forget any flash session

 private:
  struct Inflater;
  struct Request {
    std::uint8_t command;
    std::uint32_t checksum;
    const std::uint8_t* data;
    std::size_t size;
    std::uint32_t word(std::size_t index) const;
  };

  Bytes response(std::uint8_t command, std::uint32_t value, const Bytes& data = {}) const;
  Bytes failure(std::uint8_t command, RomError error) const;
  void handle_sync(const Request& request, LoaderReply& reply);
  void handle_begin(const Request& request, bool compressed, LoaderReply& reply);
  void handle_data(const Request& request, LoaderReply& reply);
  void handle_defl_data(const Request& request, LoaderReply& reply);
  void handle_end(const Request& request, LoaderReply& reply);
  void handle_md5(const Request& request, LoaderReply& reply);
  void handle_read_flash(const Request& request, LoaderReply& reply);
  void handle_security_info(const Request& request, LoaderReply& reply);
  // Whether a data block with this sequence number is the next one (apply it), the one just applied again (a
  // host that lost the answer sends it again: acknowledge, apply nothing), or out of order (refuse).
  enum class BlockOrder { next, repeat, out_of_order };
  BlockOrder order_of(std::uint32_t sequence) const;
  std::optional<RomError> program_checked(std::uint32_t address, const std::uint8_t* data, std::size_t length,
                                          LoaderReply& reply);

  ChipFacts chip_;
  BoardSecurity security_;
  RegisterSpace& registers_;
  FlashImage& flash_;

  // The flash session opened by FLASH_BEGIN / FLASH_DEFL_BEGIN.
  bool writing_ = false;
  bool compressed_ = false;
  std::uint32_t write_offset_ = 0;
  std::uint32_t block_size_ = 0;
  std::uint32_t written_bytes_ = 0;  // inflated bytes so far (compressed session)
  std::uint32_t next_sequence_ = 0;  // the data block the session expects next
  std::unique_ptr<Inflater> inflater_;
};

}  // namespace sim
