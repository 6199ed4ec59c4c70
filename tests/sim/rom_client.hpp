// Test-side client of the ROM serial protocol, written for the simulator's tests from Espressif's "Serial
// Protocol" document (deliberately not lib/loader: the two sides must not share a reading of the spec).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sim_test {

using Bytes = std::vector<std::uint8_t>;

struct RomResponse {
  std::uint8_t command = 0;
  std::uint32_t value = 0;
  Bytes data;  // payload without the status bytes
  std::uint8_t status = 0xFF;
  std::uint8_t error = 0xFF;
  bool ok() const { return status == 0; }
};

class RomClient {
 public:
  explicit RomClient(const std::string& port, std::size_t status_bytes = 4);
  ~RomClient();
  RomClient(const RomClient&) = delete;
  RomClient& operator=(const RomClient&) = delete;

  void send_frame(const Bytes& payload);
  void send_raw(const Bytes& bytes);
  std::optional<Bytes> read_frame(std::chrono::milliseconds timeout);
  // Sends a request and waits for the response to the same command.
  std::optional<RomResponse> command(std::uint8_t op, const Bytes& data, std::uint32_t checksum = 0,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
  RomResponse must(std::uint8_t op, const Bytes& data, std::uint32_t checksum = 0);

  // Returns the number of responses the device sent to one SYNC (retrying a few times first).
  int sync(std::uint32_t* first_value = nullptr);
  std::uint32_t read_reg(std::uint32_t address);
  void write_reg(std::uint32_t address, std::uint32_t value);
  std::uint32_t spi_flash_id(std::uint32_t spi_base, std::uint32_t usr, std::uint32_t usr2, std::uint32_t miso_dlen,
                             std::uint32_t w0);
  RomResponse write_flash(std::uint32_t offset, const Bytes& data, std::uint32_t block = 0x400);
  RomResponse write_flash_deflated(std::uint32_t offset, const Bytes& data, std::uint32_t block = 0x400);
  std::string flash_md5(std::uint32_t offset, std::uint32_t length);
  Bytes read_flash_slow(std::uint32_t offset, std::uint32_t length);
  // Everything that arrives within `window` (boot noise, logs).
  std::string read_text(std::chrono::milliseconds window);
  void flush_input();

  static Bytes words(std::initializer_list<std::uint32_t> values);
  static std::uint32_t checksum(const Bytes& data);

 private:
  int fd_ = -1;
  std::size_t status_bytes_;
  Bytes pending_;
};

}  // namespace sim_test
