// Secrets given to the CLI (WiFi password, PSK, CA token): from a flag, a file or the environment. A value on
// the command line is visible to every user of the machine (ps, /proc/PID/cmdline) and stays in shell history,
// so it is still accepted but warned about; files are read by provision::read_secret_file (one rule for all).
#pragma once

#include <string>
#include <string_view>

namespace espprov {

struct SecretSource {
  std::string_view flag;       // "--psk"
  std::string_view file_flag;  // "--psk-file"
  const char* env;             // "ESPPROV_PSK"
  std::string_view field;      // record/error field: "psk"
};

// `value` (warning on stderr), else the first line of `file`, else $env (when set and not empty); "" when none.
std::string resolve_secret(const SecretSource& source, const std::string& value, const std::string& file);

// The warning for a secret on the command line, naming the safer ways.
void warn_secret_on_command_line(const SecretSource& source);

}  // namespace espprov
