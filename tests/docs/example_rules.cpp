// Reviewed by hand: each rule says why the documented text cannot run as written here. Keep them few; prefer an
// example that runs as it is written.
#include "docs/example_rules.hpp"

#include <regex>

namespace doc_examples {

const std::vector<Substitution>& substitutions() {
  static const std::vector<Substitution> table{
      {"/dev/tty(USB|ACM)[0-9]", "{port}", "a USB serial board: a simulated board on a pseudo-terminal"},
      {"--port P\\b", "--port {port}", "the tables' short name for a board's port"},
      {"'/dev/ttyUSB\\*'", "'{ports}/ttyUSB*'", "a glob over hardware ports: the same glob over links to two boards"},
      {"socket://rig\\.local:4000", "{bridge}", "a networked rig: ser2net serving a simulated board on loopback"},
      {"https://ca(\\.example(\\.com)?)?:8443", "{ca_url}", "the example CA host: the test CA on a free port"},
      {"127\\.0\\.0\\.1:8443", "{listen}", "a CA's listening address: a free loopback port (8443 may be taken)"},
      {"mqtts://broker:8883", "{mqtt_url}", "the example broker: mosquitto on a free loopback port"},
      {"ESPPROV_WIFI_PASSWORD=\xE2\x80\xA6", "ESPPROV_WIFI_PASSWORD='{lab_password}'",
       "the README's elided password: the test access point's"},
  };
  return table;
}

const std::vector<Exclusion>& exclusions() {
  static const std::vector<Exclusion> table{
      {"scripts/package", "builds a Release tree and the .deb packages (minutes); `ctest -L package` covers them"},
      {"sudo apt install ./build-package/deb/espprov_0.1.0_amd64.deb", "installs into the system as root"},
      {"sudo adduser \"$USER\" dialout", "changes the system's users as root"},
      {"man espprov", "reads the installed man page; `ctest -L package` checks the packaged one"},
      {"scripts/demo", "builds an optimised tree of its own (minutes); the provision examples here run the same flow"},
      {"scripts/test", "runs the whole suite, this test included"},
      {"sudo apt install ./build-package/deb/espprov_0.1.0_amd64.deb ./build-package/deb/espprov-ca_0.1.0_amd64.deb",
       "installs into the system as root"},
      {"sudo adduser station dialout", "changes the system's users as root"},
      {"espprov provision --ports '/dev/espprov/*' --loop ...",
       "a fragment (`...` elides the flags) showing the udev names; the station example of provision --help runs"},
      {"sudo install -d -m 0700 /etc/espprov-ca", "the CA service's setup: as root, on a machine with systemd"},
      {"sudo sh -c 'umask 077; openssl rand -hex 24 > /etc/espprov-ca/token'", "as root, for the CA service"},
      {"sudo systemctl edit espprov-ca", "the CA service's setup: as root, on a machine with systemd"},
      {"sudo systemctl enable --now espprov-ca", "the CA service's setup: as root, on a machine with systemd"},
      {"sudo cat /var/lib/espprov-ca/ca/ca.pem", "reads the installed service's state as root"},
  };
  return table;
}

const std::vector<Expectation>& expectations() {
  static const std::vector<Expectation> table{
      {"espprov-ca serve", 0, Board::none, true, "\"listening\"", "", "a server: stopped once it listens", ""},
      {"espprov-sim --count", 0, Board::none, true, "\"port\"", "", "the simulator: stopped once it lists its boards",
       ""},
      {"--loop", 0, Board::download, true, "true,", "devices.csv",
       "a station: stopped once the first board's row is written (a station stopped between boards exits 0)", ""},
      {"--wifi-only", 0, Board::provisioned, false, "", "", "changes WiFi on a board that holds its credentials", ""},
      {"espprov wifi reorder ", 0, Board::provisioned, false, "", "",
       "moves a saved network, so the board has Backup saved first", "espprov wifi add --port P --ssid Backup "
       "--password-file lab.pass"},
      {"espprov wifi select ", 0, Board::provisioned, false, "", "",
       "connects to a saved network, so the board has Backup saved first", "espprov wifi add --port P --ssid Backup "
       "--password-file lab.pass"},
      {"espprov wifi delete ", 0, Board::provisioned, false, "", "",
       "forgets a saved network, so the board has it saved first", "espprov wifi add --port P --ssid 'old net' "
       "--password-file lab.pass"},
      {"--until '^\\+READY'", 0, Board::provisioned, false, "", "",
       "waits for the firmware's +READY, so the board reboots first (the firmware's AT+REBOOT)",
       "printf 'AT+REBOOT\\r\\n' > /dev/ttyUSB0"},
      {"espprov monitor --port /dev/ttyUSB0 --format json > console.ndjson", 0, Board::provisioned, true, "\"line\"",
       "console.ndjson", "the console until stopped: stopped once a line is in the file (the board reboots first)",
       "printf 'AT+REBOOT\\r\\n' > /dev/ttyUSB0"},
      {"espprov monitor --port", 0, Board::provisioned, true, "+READY", "",
       "the console until stopped: stopped once +READY shows (the board reboots first)",
       "printf 'AT+REBOOT\\r\\n' > /dev/ttyUSB0"},
      {"espprov uuid --mac A0B1C2D3E4F5 | espprov info --port /dev/ttyUSB0 --in -", 57, Board::provisioned, false, "",
       "", "the record names A0:B1:C2:D3:E4:F5, not the board on the port: the check refuses it (identity_mismatch), "
       "as the help says", ""},
  };
  return table;
}

std::string without_comment(const std::string& command) {
  static const std::regex trailing_comment("^([^\n]*?)\\s+#[^\n]*$");
  std::smatch match;
  return std::regex_match(command, match, trailing_comment) ? match[1].str() : command;
}

bool is_excluded(const std::string& command) {
  const std::string text = without_comment(command);
  for (const auto& exclusion : exclusions()) {
    if (exclusion.command == text) return true;
  }
  return false;
}

namespace {

// The firmware's commands need a running, provisioned board; every other board command a board in download mode.
Board implied_board(const std::string& command) {
  static const std::regex firmware_command("(^|[|&;] *|\\s)espprov (info|pop|wifi|mqtt-check|monitor)\\b");
  return std::regex_search(command, firmware_command) ? Board::provisioned : Board::download;
}

}  // namespace

Expectation expectation_for(const std::string& command) {
  for (const auto& expectation : expectations()) {
    if (command.find(expectation.contains) != std::string::npos) return expectation;
  }
  Expectation plain;
  plain.board = implied_board(command);
  return plain;
}

}  // namespace doc_examples
