#include "secret_options.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <iostream>

#include "command.hpp"
#include "provision/files.hpp"

namespace espprov {

void warn_secret_on_command_line(const SecretSource& source) {
  report_warning(fmt::format("{} on the command line is visible to other users of this machine (ps) and stays in "
                             "shell history; prefer {} FILE or ${}",
                             source.flag, source.file_flag, source.env));
}

std::string resolve_secret(const SecretSource& source, const std::string& value, const std::string& file) {
  if (!value.empty()) {
    warn_secret_on_command_line(source);
    return value;
  }
  if (!file.empty()) return provision::read_secret_file(file, source.field);
  if (const char* env = std::getenv(source.env); env != nullptr && *env != '\0') return env;
  return "";
}

}  // namespace espprov
