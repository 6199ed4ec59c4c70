// What the station trusts and what it lets out, end to end: it pins the device CA (--ca-cert, or the ledger's pin
// with --trust-ca-response) and flashes nothing a CA it does not trust signed; its --trace shows no secret of the
// record, not in the flash data (plain or deflated) nor in the PoP reply.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "e2e/e2e_support.hpp"
#include "provision/error.hpp"

namespace trust_test {

using e2e::CaRun;
using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> station_argv(const CaRun& ca, const TempDir& dir, const std::string& port,
                                      std::vector<std::string> trust) {
  std::vector<std::string> extra{"--ca-url", ca.url(), "--ca-bundle", ca.ca_cert(), "--token-file", ca.token_file()};
  extra.insert(extra.end(), trust.begin(), trust.end());
  return e2e::provision_argv(nullptr, (dir / "ledger.db").string(), {port}, extra);
}

// A new CA (another key and certificate) in the same folder, serving on the same URL.
void replace_ca(CaRun& ca) {
  ca.stop();
  std::filesystem::remove_all(ca.dir());
  auto init = run_process({test_support::bin_path("espprov-ca").string(), "init", ca.dir().string(), "--host",
                           "127.0.0.1"});
  REQUIRE(init.exit_code == 0);
  ca.start();
}

}  // namespace

TEST_CASE("trust: a certificate from a CA other than --ca-cert is refused and nothing is flashed", "[e2e][trust]") {
  TempDir dir;
  CaRun ca(dir);
  TempDir other;
  REQUIRE(run_process({test_support::bin_path("espprov-ca").string(), "init", (other / "ca").string()}).exit_code ==
          0);
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto refused = run_process(station_argv(ca, dir, board.port, {"--ca-cert", (other / "ca" / "ca.pem").string()}),
                             "", 120s);
  INFO(refused.err);
  CHECK(refused.exit_code == provision::exit_code_of(provision::ErrorCode::ca_untrusted));
  auto record = e2e::records(refused).at(0);
  CHECK(record["failed_step"] == "ca-register");
  CHECK(record["error"]["field"] == "ca_cert");
  CHECK_FALSE(e2e::flashed_credentials(board.flash).contains("uuid"));
}

TEST_CASE("trust: --trust-ca-response pins the first CA certificate, another one later needs --accept-new-ca",
          "[e2e][trust]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(2, "esp32c3");
  const auto& first = sim.devices()[0];
  const auto& second = sim.devices()[1];
  auto pinned = run_process(station_argv(ca, dir, first.port, {"--trust-ca-response"}), "", 120s);
  INFO(pinned.err);
  REQUIRE(pinned.exit_code == 0);

  replace_ca(ca);
  auto refused = run_process(station_argv(ca, dir, second.port, {"--trust-ca-response"}), "", 120s);
  INFO(refused.err);
  // not the pinned certificate
  CHECK(refused.exit_code == provision::exit_code_of(provision::ErrorCode::ca_untrusted));
  CHECK(refused.out.find("--accept-new-ca") != std::string::npos);  // the error record says what to do
  CHECK(e2e::records(refused).at(0)["failed_step"] == "ca-register");
  CHECK_FALSE(e2e::flashed_credentials(second.flash).contains("uuid"));

  auto accepted = run_process(station_argv(ca, dir, second.port, {"--trust-ca-response", "--accept-new-ca"}), "",
                              120s);
  INFO(accepted.err);
  REQUIRE(accepted.exit_code == 0);
  // The new certificate is now the pin: the next run needs no flag.
  auto again = run_process(station_argv(ca, dir, second.port, {"--trust-ca-response"}), "", 120s);
  CHECK(again.exit_code == 0);
}

namespace {

// The bytes of every trace line in one direction ("trace >> 0010: c0 00 ... |...|"), in order.
std::string traced_bytes(const std::string& err, const std::string& arrow) {
  std::string out;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("trace " + arrow + " ", 0) != 0) continue;
    const auto colon = line.find(": ");
    const auto bar = line.find('|', colon);
    std::istringstream hex(line.substr(colon + 2, bar - colon - 2));
    for (std::string byte; hex >> byte;) out += static_cast<char>(std::stoi(byte, nullptr, 16));
  }
  return out;
}

// The data of every FLASH_DATA (0x03) or FLASH_DEFL_DATA (0x11) request in a stream of SLIP frames.
struct FlashData {
  int packets = 0;
  std::string bytes;
};
FlashData flash_data(const std::string& stream) {
  FlashData data;
  std::size_t at = 0;
  while ((at = stream.find('\xC0', at)) != std::string::npos) {
    const auto end = stream.find('\xC0', at + 1);
    if (end == std::string::npos) break;
    std::string frame;
    for (std::size_t i = at + 1; i < end; ++i) {
      if (stream[i] == '\xDB' && i + 1 < end) {
        frame += stream[++i] == '\xDC' ? '\xC0' : '\xDB';
      } else {
        frame += stream[i];
      }
    }
    if (frame.size() > 24 && frame[0] == 0 && (frame[1] == 0x03 || frame[1] == 0x11)) {
      ++data.packets;
      data.bytes += frame.substr(24);
    }
    at = end + 1;
  }
  return data;
}

// What zlib makes of `deflated` before it gives up (a masked stream gives nothing).
std::string inflate_what_you_can(const std::string& deflated) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return "";
  std::string out;
  char buffer[4096];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(deflated.data()));
  z.avail_in = static_cast<uInt>(deflated.size());
  int status = Z_OK;
  while (status == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    status = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  inflateEnd(&z);
  return out;
}

}  // namespace

TEST_CASE("trust: provision --trace shows no secret of the record, deflated or plain, nor the PoP", "[e2e][trust]") {
  for (bool compress : {true, false}) {
    DYNAMIC_SECTION((compress ? "deflated" : "plain")) {
      TempDir dir;
      CaRun ca(dir);
      SimRun sim(1, "esp32c3");
      const auto& board = sim.devices()[0];
      std::vector<std::string> extra{"--trace"};
      if (!compress) extra.push_back("--no-compress");
      auto argv = e2e::provision_argv(&ca, (dir / "ledger.db").string(), {board.port}, extra);
      auto run = run_process(argv, "", 120s);
      INFO(run.err.substr(0, 2000));
      REQUIRE(run.exit_code == 0);
      auto record = e2e::records(run).at(0);
      auto pop = run_process({test_support::bin_path("espprov").string(), "pop", "--port", board.port}, "", 60s);
      REQUIRE(pop.exit_code == 0);
      const std::string pop_hex = e2e::records(pop).at(0).at("pop");

      const std::string written = traced_bytes(run.err, ">>");
      const std::string read = traced_bytes(run.err, "<<");
      const FlashData data = flash_data(written);
      REQUIRE(data.packets > 0);  // the trace was read back: the credentials write is in it
      // Every byte of the sectors written went by (masked: an escaped 0xC0 or 0xDB shows as two '*'); a fresh
      // board's erased sectors already hold the image's unused NVS pages and are not written.
      const auto sectors_written = record.at("sectors_written").get<std::size_t>();
      CHECK(sectors_written >= 1);
      if (!compress) CHECK(data.bytes.size() >= 0x1000 * sectors_written);
      const std::string inflated = compress ? inflate_what_you_can(data.bytes) : data.bytes;
      // The device key's PEM body: its second line is base64 of the key itself.
      const std::string key_pem = record.at("device_key");
      const std::string key_line = key_pem.substr(key_pem.find('\n') + 1, 40);
      for (const std::string& secret : {record.at("psk").get<std::string>(), key_line, std::string(e2e::kLabPassword),
                                       pop_hex}) {
        INFO("secret starting " << secret.substr(0, 6));
        CHECK(written.find(secret) == std::string::npos);
        CHECK(read.find(secret) == std::string::npos);
        CHECK(inflated.find(secret) == std::string::npos);
        CHECK(run.err.find(secret) == std::string::npos);
      }
    }
  }
}

}  // namespace trust_test
