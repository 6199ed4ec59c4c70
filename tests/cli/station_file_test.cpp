// The station file (--config FILE, $ESPPROV_CONFIG): CLI11 reads it, flags override it, and a station is protected
// from typos (unknown keys), secrets written inline and a file others could change.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <fstream>

#include "e2e/e2e_support.hpp"
#include "provision/error.hpp"

namespace station_file_test {

using e2e::CaRun;
using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

std::string espprov_bin() { return test_support::bin_path("espprov").string(); }

int exit_of(provision::ErrorCode code) { return provision::exit_code_of(code); }

std::string write_file(const std::filesystem::path& path, const std::string& text, mode_t mode = 0644) {
  {
    std::ofstream out(path);
    out << text;
  }
  ::chmod(path.c_str(), mode);
  return path.string();
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("the example station file loads, its values apply, and flags on the command line override them",
          "[cli][station_file]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  // The example as shipped; only the files it names are this machine's (given as flags, which override the file).
  const auto config = write_file(dir / "station.toml", read_text(test_support::source_path("docs/station.toml.example")));
  const auto password = write_file(dir / "wifi.txt", std::string(e2e::kLabPassword) + "\n", 0600);
  std::vector<std::string> argv{espprov_bin(),   "provision",     "--config",    config,
                                "--port",        sim.devices()[0].port, "--dry-run", "--ca-url",
                                ca.url(),        "--ca-bundle",   ca.ca_cert(),  "--ca-cert",
                                ca.ca_cert(),    "--token-file",  ca.token_file(), "--password-file",
                                password,        "--ledger",      (dir / "ledger.db").string()};
  auto r = run_process(argv, "", 60s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto record = json::parse(r.out);
  CHECK(record["dry_run"] == true);
  CHECK(record["jobs"] == 4);                  // from the file
  CHECK(record["ca"]["url"] == ca.url());      // the flag, not the file's ca-url
  CHECK(r.err.find("pre-flight") == std::string::npos);

  argv.insert(argv.end(), {"--jobs", "2"});
  auto overridden = run_process(argv, "", 60s);
  REQUIRE(overridden.exit_code == 0);
  CHECK(json::parse(overridden.out)["jobs"] == 2);
}

TEST_CASE("a station file key that no flag has fails, naming the key and the file", "[cli][station_file]") {
  TempDir dir;
  const auto typo = write_file(dir / "typo.toml", "[uuid]\nschme = \"rfc9562\"\n");
  auto r = run_process({espprov_bin(), "uuid", "--mac", "A0B1C2D3E4F5", "--config", typo});
  CHECK(r.exit_code == exit_of(provision::ErrorCode::usage));
  CHECK(r.err.find("schme") != std::string::npos);
  CHECK(r.err.find(typo) != std::string::npos);
  CHECK(json::parse(r.out)["error"]["field"] == "config");

  const auto section = write_file(dir / "section.toml", "[provison]\nport = \"/dev/ttyUSB0\"\n");
  auto bad_section = run_process({espprov_bin(), "uuid", "--mac", "A0B1C2D3E4F5", "--config", section});
  CHECK(bad_section.exit_code == exit_of(provision::ErrorCode::usage));
  CHECK(bad_section.err.find("provison") != std::string::npos);

  const auto outside = write_file(dir / "outside.toml", "scheme = \"rfc9562\"\n");
  auto no_section = run_process({espprov_bin(), "uuid", "--mac", "A0B1C2D3E4F5", "--config", outside});
  CHECK(no_section.exit_code == exit_of(provision::ErrorCode::usage));
  CHECK(no_section.err.find("outside a section") != std::string::npos);
}

TEST_CASE("a station file applies its subcommand's section only, and a flag overrides it", "[cli][station_file]") {
  TempDir dir;
  const auto config =
      write_file(dir / "station.toml", "[uuid]\nscheme = \"rfc9562\"\n\n[mac]\nformat = \"csv\"\n");
  auto from_file = run_process({espprov_bin(), "uuid", "--mac", "A0B1C2D3E4F5", "--config", config});
  INFO(from_file.err);
  REQUIRE(from_file.exit_code == 0);
  auto record = json::parse(from_file.out);  // JSON: [mac]'s format is not this run's
  CHECK(record["uuid_scheme"] == "rfc9562");
  auto flag = run_process({espprov_bin(), "uuid", "--config", config, "--mac", "A0B1C2D3E4F5", "--scheme", "seed"});
  CHECK(json::parse(flag.out)["uuid"] == "04e4822c-719e-45b0-b360-7e2819faca53");
  // The option may also come before the subcommand.
  auto before = run_process({espprov_bin(), "--config", config, "uuid", "--mac", "A0B1C2D3E4F5"});
  CHECK(json::parse(before.out)["uuid_scheme"] == "rfc9562");
}

TEST_CASE("a secret written inline in a station file is refused and its file form named", "[cli][station_file]") {
  TempDir dir;
  const std::string secret = "hunter2-inline-secret";
  const auto config = write_file(dir / "station.toml", "[provision]\nssid = \"Lab\"\npassword = \"" + secret + "\"\n");
  auto r = run_process({espprov_bin(), "provision", "--config", config, "--port", "/dev/null-espprov-none", "--no-ca",
                        "--ledger", (dir / "ledger.db").string()});
  CHECK(r.exit_code == exit_of(provision::ErrorCode::usage));
  CHECK(r.err.find("password-file") != std::string::npos);
  CHECK(r.err.find(config) != std::string::npos);
  CHECK(r.err.find(secret) == std::string::npos);
  CHECK(r.out.find(secret) == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "ledger.db"));

  const auto psk = write_file(dir / "psk.toml", "[psk]\npsk = \"" + std::string(64, 'a') + "\"\n");
  auto psk_run = run_process({espprov_bin(), "psk", "--config", psk});
  CHECK(psk_run.exit_code == exit_of(provision::ErrorCode::usage));
  CHECK(psk_run.err.find("psk-file") != std::string::npos);
}

TEST_CASE("a station file writable by its group or by others is refused", "[cli][station_file]") {
  TempDir dir;
  for (mode_t mode : {0664, 0646}) {
    const auto config = write_file(dir / "station.toml", "[uuid]\nscheme = \"rfc9562\"\n", mode);
    auto r = run_process({espprov_bin(), "uuid", "--mac", "A0B1C2D3E4F5", "--config", config});
    INFO(mode);
    CHECK(r.exit_code == exit_of(provision::ErrorCode::bad_input));
    CHECK(r.err.find("chmod go-w") != std::string::npos);
  }
}

TEST_CASE("ESPPROV_CONFIG names the station file, --config replaces it, and a missing file is an error",
          "[cli][station_file]") {
  TempDir dir;
  const auto config = write_file(dir / "station.toml", "[uuid]\nscheme = \"rfc9562\"\n");
  auto from_env =
      run_process({"/usr/bin/env", "ESPPROV_CONFIG=" + config, espprov_bin(), "uuid", "--mac", "A0B1C2D3E4F5"});
  INFO(from_env.err);
  REQUIRE(from_env.exit_code == 0);
  CHECK(json::parse(from_env.out)["uuid_scheme"] == "rfc9562");

  const auto other = write_file(dir / "other.toml", "[uuid]\nscheme = \"seed\"\n");
  auto replaced = run_process({"/usr/bin/env", "ESPPROV_CONFIG=" + config, espprov_bin(), "uuid", "--mac",
                               "A0B1C2D3E4F5", "--config", other});
  CHECK(json::parse(replaced.out)["uuid_scheme"] == "seed");

  const std::string missing = (dir / "missing.toml").string();
  auto gone = run_process({"/usr/bin/env", "ESPPROV_CONFIG=" + missing, espprov_bin(), "uuid", "--mac", "A0B1C2D3E4F5"});
  CHECK(gone.exit_code == exit_of(provision::ErrorCode::io));
  CHECK(gone.err.find(missing) != std::string::npos);
  auto gone_flag = run_process({espprov_bin(), "uuid", "--mac", "A0B1C2D3E4F5", "--config", missing});
  CHECK(gone_flag.exit_code == exit_of(provision::ErrorCode::io));
}

}  // namespace station_file_test
