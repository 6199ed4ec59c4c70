// The loader on a mangling line, against a scripted peer (no pty, no simulator): resends are bounded and counted,
// a silence resynchronises, a stalled board says it needs a reset, and a MAC is only believed when two reads
// agree and it is a plausible identity.
#include <catch2/catch.hpp>

#include "loader/loader_support.hpp"
#include "loader/rom_peer.hpp"
#include "support/scripted_link.hpp"

namespace resend_test {

using namespace loader_test;
using loader::Command;
using test_support::ScriptedLink;

namespace {

struct Bench {
  RomPeer peer;
  ScriptedLink link;
  Events events;

  explicit Bench(bool esp32 = false) : peer(esp32) {
    link.otherwise([this](const ScriptedLink::Bytes& written) { return peer.on_write(written); });
  }

  template <typename T>
  T run(std::function<asio::awaitable<T>(loader::Loader&)> body) {
    return provision::serial::run_blocking<T>([&]() -> asio::awaitable<T> {
      loader::Loader device(link, events.sink());
      co_await device.connect(loader::BeforeReset::no_reset, 1);
      co_return co_await body(device);
    });
  }

  loader::WriteResult write(const Bytes& data) {
    return run<loader::WriteResult>([&](loader::Loader& device) -> asio::awaitable<loader::WriteResult> {
      co_return co_await device.write_flash(0x3F0000, data, {.force = true});
    });
  }

  provision::Error failure(std::function<asio::awaitable<int>(loader::Loader&)> body) {
    try {
      run<int>(std::move(body));
    } catch (const provision::Error& e) {
      return e;
    }
    FAIL("no error");
    return provision::Error(provision::ErrorCode::internal, "unreachable");
  }
};

}  // namespace

TEST_CASE("a data packet refused with a checksum error is sent again and the write verifies", "[loader][resend]") {
  Bench bench;
  bench.peer.plan(Command::flash_defl_data, 1, PeerFault::checksum_error);
  const Bytes data = pattern(0x3000, 1);
  auto result = bench.write(data);
  CHECK(result.verified);
  CHECK(result.resends == 1);
  CHECK(bench.peer.flash_image() == data);
  CHECK(loader::write_fields(result)["resends"] == 1);
  bool reported = false;
  for (const auto& e : bench.events.list) reported |= e.message.find("resend FLASH_DEFL_DATA") != std::string::npos;
  CHECK(reported);
}

TEST_CASE("a packet whose answer was lost is sent again and applied once", "[loader][resend]") {
  Bench bench;
  bench.peer.plan(Command::flash_defl_data, 1, PeerFault::lose_answer);
  const Bytes data = pattern(0x3000, 2);
  auto result = bench.write(data);
  CHECK(result.verified);
  CHECK(result.resends == 1);
  CHECK(bench.peer.flash_image() == data);
  CHECK(bench.peer.count(Command::sync) >= 2);  // the silence was followed by a SYNC before the resend
}

TEST_CASE("a lost request or a damaged answer is sent again, for any command", "[loader][resend]") {
  auto fault = GENERATE(PeerFault::lose_request, PeerFault::damage_answer);
  Bench bench;
  bench.peer.plan(Command::flash_defl_begin, 1, fault);
  bench.peer.plan(Command::spi_flash_md5, 1, fault);
  const Bytes data = pattern(0x2000, 3);
  auto result = bench.write(data);
  CHECK(result.verified);
  CHECK(result.resends == 2);
}

TEST_CASE("resends are bounded: a line that mangles every try fails naming the command", "[loader][resend]") {
  Bench bench;
  for (int i = 1; i <= 40; ++i) bench.peer.plan(Command::flash_defl_data, i, PeerFault::checksum_error);
  auto error = bench.failure([&](loader::Loader& device) -> asio::awaitable<int> {
    co_await device.write_flash(0x3F0000, pattern(0x3000, 4), {.force = true});
    co_return 0;
  });
  CHECK(error.code() == provision::ErrorCode::rom_error);
  CHECK(std::string(error.what()).find("FLASH_DEFL_DATA") != std::string::npos);
  CHECK(std::string(error.what()).find("sent") != std::string::npos);
  // At most four writes (1 KiB, 256, then 64-byte packets twice), each packet given up after its resends: bounded,
  // not endless.
  CHECK(bench.peer.count(Command::flash_defl_data) <= 4 * (1 + 2 * loader::kMaxResends));
}

TEST_CASE("a board that stops answering even SYNC says it needs a reset", "[loader][resend]") {
  Bench bench;
  bench.peer.plan(Command::flash_defl_data, 1, PeerFault::stall);
  auto error = bench.failure([&](loader::Loader& device) -> asio::awaitable<int> {
    co_await device.write_flash(0x3F0000, pattern(0x3000, 5), {.force = true});
    co_return 0;
  });
  CHECK(error.code() == provision::ErrorCode::device_timeout);
  CHECK(std::string(error.what()).find("did not answer FLASH_DEFL_DATA") != std::string::npos);
  CHECK(std::string(error.what()).find("needs a reset") != std::string::npos);
}

TEST_CASE("a ROM refusal that a resend cannot fix is not resent", "[loader][resend]") {
  CHECK_FALSE(loader::is_line_fault(0x08));  // flash read-back error
  CHECK_FALSE(loader::is_line_fault(0x06));
  CHECK(loader::is_line_fault(0x07));
  CHECK(loader::is_line_fault(0x05));
  CHECK(loader::is_line_fault(0x42));  // no ROM sends it: a flipped status byte
}

TEST_CASE("a MAC read with a flipped bit is read again until two reads agree", "[loader][mac]") {
  Bench bench;
  // The 2nd READ_REG after detection is the first MAC word 1; detection reads none on an ESP32-C3.
  bench.peer.plan(Command::read_reg, 2, PeerFault::flip_value_bit);
  auto mac = bench.run<std::string>([&](loader::Loader& device) -> asio::awaitable<std::string> {
    co_return provision::mac_colon(co_await device.read_mac());
  });
  CHECK(mac == "7C:DF:12:34:56:78");
}

TEST_CASE("an ESP32 MAC whose eFuse CRC disagrees is refused as mac_invalid", "[loader][mac]") {
  Bench bench(true);
  bench.peer.mac_word1 ^= 1u << 16;  // the stored CRC no longer matches the MAC
  auto error = bench.failure([&](loader::Loader& device) -> asio::awaitable<int> {
    co_await device.read_mac();
    co_return 0;
  });
  CHECK(error.code() == provision::ErrorCode::mac_invalid);
  CHECK(std::string(error.what()).find("CRC") != std::string::npos);
}

TEST_CASE("an ESP32 MAC with its CRC is accepted", "[loader][mac]") {
  Bench bench(true);
  auto mac = bench.run<std::string>([&](loader::Loader& device) -> asio::awaitable<std::string> {
    co_return provision::mac_colon(co_await device.read_mac());
  });
  CHECK(mac == "7C:DF:12:34:56:78");
}

TEST_CASE("all-zero, all-ones and multicast MACs are no identity", "[loader][mac]") {
  struct Case {
    std::uint32_t word0, word1;
    const char* reason;
  };
  auto c = GENERATE(Case{0, 0, "all zero"}, Case{0xFFFFFFFF, 0xFFFF, "all ones"},
                    Case{0x12345678, 0x0100, "multicast"});
  Bench bench;
  bench.peer.mac_word0 = c.word0;
  bench.peer.mac_word1 = c.word1;
  auto error = bench.failure([&](loader::Loader& device) -> asio::awaitable<int> {
    co_await device.read_mac();
    co_return 0;
  });
  CHECK(error.code() == provision::ErrorCode::mac_invalid);
  CHECK(std::string(error.what()).find(c.reason) != std::string::npos);
  CHECK(error.field() == "mac");
}

TEST_CASE("the scripted link checks the bytes written and reports a broken script", "[serial][scripted]") {
  ScriptedLink link;
  link.expect({0x01, 0x02}, {0xAA}).expect({0x03});
  provision::serial::run_blocking<int>([&]() -> asio::awaitable<int> {
    const std::uint8_t first[] = {0x01, 0x02};
    co_await link.write(first);
    std::uint8_t buffer[4];
    std::size_t first_read = co_await link.read_some(buffer, std::chrono::milliseconds(100));
    CHECK(first_read == 1);
    CHECK(buffer[0] == 0xAA);
    std::size_t second_read = co_await link.read_some(buffer, std::chrono::milliseconds(3000));
    CHECK(second_read == 0);  // virtual time: the timeout passes without a wait
    const std::uint8_t wrong[] = {0x04};
    co_await link.write(wrong);
    co_return 0;
  });
  CHECK(link.script_done());
  REQUIRE(link.problems().size() == 1);
  CHECK(link.problems()[0].find("expected 03, got 04") != std::string::npos);
  CHECK(link.elapsed() >= std::chrono::milliseconds(3000));
}

TEST_CASE("a deflate error (a packet mangled past the ROM's checksum) restarts the write", "[loader][resend]") {
  Bench bench;
  bench.peer.plan(Command::flash_defl_data, 1, PeerFault::corrupt_data);
  const Bytes data = pattern(0x3000, 6);
  auto result = bench.write(data);
  CHECK(result.verified);
  CHECK(result.resends >= 1);
  CHECK(bench.peer.flash_image() == data);
  CHECK(bench.peer.count(Command::flash_defl_begin) == 2);
}

TEST_CASE("a refusal a mangled request drew is sent again, the same refusal twice is final", "[loader][resend]") {
  SECTION("once: the write goes on") {
    Bench bench;
    bench.peer.plan(Command::flash_defl_begin, 1, PeerFault::refuse_failed_to_act);
    const Bytes data = pattern(0x3000, 7);
    auto result = bench.write(data);
    CHECK(result.verified);
    CHECK(result.resends == 1);
    CHECK(bench.peer.flash_image() == data);
  }
  SECTION("twice in a row: the ROM means it") {
    Bench bench;
    bench.peer.plan(Command::flash_defl_begin, 1, PeerFault::refuse_failed_to_act);
    bench.peer.plan(Command::flash_defl_begin, 2, PeerFault::refuse_failed_to_act);
    auto error = bench.failure([&](loader::Loader& device) -> asio::awaitable<int> {
      co_await device.write_flash(0x3F0000, pattern(0x3000, 8), {.force = true});
      co_return 0;
    });
    CHECK(error.code() == provision::ErrorCode::rom_error);
    CHECK(std::string(error.what()).find("0x06") != std::string::npos);
    CHECK(bench.peer.count(Command::flash_defl_begin) == 2);
  }
}

TEST_CASE("a FLASH_END the board never got is sent again once SYNC shows the ROM stayed", "[loader][resend]") {
  Bench bench;
  bench.peer.plan(Command::flash_end, 1, PeerFault::lose_request);
  bench.run<int>([&](loader::Loader& device) -> asio::awaitable<int> {
    co_await device.leave(loader::AfterReset::run_app);
    CHECK(device.resends() == 1);
    co_return 0;
  });
  CHECK(bench.peer.count(Command::flash_end) == 2);
  CHECK(bench.peer.count(Command::flash_begin) == 2);  // the session is begun again before the second FLASH_END
}

}  // namespace resend_test
