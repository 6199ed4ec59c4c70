// The reviewed rules that let a documented example run here: what in its text is rewritten (a hardware port to a
// simulated board, the example CA host to the test CA), which examples cannot run at all (and why), and which end
// with a documented non-zero exit or run until stopped. Every rule must still match an example somewhere (the
// "no stale rules" test), so a rule outlives its example by one failing run at most.
#pragma once

#include <string>
#include <vector>

namespace doc_examples {

// `from` is an ECMAScript regex over the example's text; `to` may hold the fixture's placeholders:
// {port} {port2} (this example's simulated boards), {bridge} (socket:// to a ser2net bridge in front of {port}),
// {ca_url} (the test CA), {listen} (a free loopback HOST:PORT), {mqtt_url} (the test broker),
// {lab_password} (the password of the simulator's access points).
struct Substitution {
  std::string from;
  std::string to;
  std::string why;
};
const std::vector<Substitution>& substitutions();

// An example that cannot run here, matched by its exact text (continuation lines included).
struct Exclusion {
  std::string command;
  std::string why;
};
const std::vector<Exclusion>& exclusions();
// The command without a trailing "  # comment" (one-line commands), as exclusions are written.
std::string without_comment(const std::string& command);
bool is_excluded(const std::string& command);

// What kind of board an example needs, when it is not a fresh board in download mode.
enum class Board { none, download, provisioned };

struct Expectation {
  std::string contains;  // a fragment of the example's original text
  int exit_code = 0;     // the documented exit code
  Board board = Board::download;
  // Runs until stopped (a server, a station loop): it is stopped with SIGTERM once `ready` shows up on stdout
  // (or, when `ready_file` is set, in that file of the work folder), and must then exit with `exit_code`.
  bool runs_until_stopped = false;
  std::string ready;
  std::string ready_file;
  std::string why;
  // A command run first on the same board and folder (the state the example assumes), which must succeed.
  std::string prepare;
};
// Examples whose outcome or board differ from the default (exit 0; a download-mode board when a port is named).
const std::vector<Expectation>& expectations();

// The expectation for one example (its original text): the first matching entry of expectations(), else exit 0
// on the board the command implies (a provisioned, running board for the firmware commands info, pop, wifi,
// mqtt-check; a fresh board in download mode otherwise).
Expectation expectation_for(const std::string& command);

}  // namespace doc_examples
