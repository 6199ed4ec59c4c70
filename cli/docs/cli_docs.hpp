// Man pages and shell completion generated from a program's own command-line definition, so they cannot drift
// from --help: a CLI11 app is walked (subcommands, options, validators, footers), or a plain usage text (the
// simulator's --help) is read, into one CommandDoc tree; the man page and the bash and zsh scripts are written from
// that tree. New flags appear in all three without touching this code.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace espprov::docs {

// What completion offers for an option's value.
enum class ValueKind { none, text, file, port, choice };

struct OptionDoc {
  std::vector<std::string> names;  // "--port", "-h"; empty for a positional
  std::string value_name;          // "TEXT", "FILE", "N", ... (empty for a flag)
  std::string description;
  std::string default_value;
  std::vector<std::string> choices;  // from an IsMember check or a "a|b" value name
  ValueKind kind = ValueKind::none;
  bool required = false;
  bool repeatable = false;
};

struct CommandDoc {
  std::vector<std::string> path;  // {"wifi", "list"}; empty for the program itself
  std::string description;
  std::string footer;  // examples and notes, as --help prints them
  std::vector<OptionDoc> options;
  std::vector<OptionDoc> positionals;
  std::vector<CommandDoc> subcommands;
};

struct ExitStatus {
  int code;
  std::string name;
  std::string meaning;
};

struct ProgramDoc {
  std::string name;          // "espprov"
  int section = 1;           // man section
  std::string summary;       // the NAME line
  std::string version;
  std::vector<std::string> see_also;  // "espprov-ca(8)"
  std::vector<ExitStatus> exit_statuses;
  std::string extra_sections;  // ready roff appended before SEE ALSO (may be empty)
  CommandDoc root;
};

// Walks a CLI11 app. Options in no group (hidden) are left out, as in --help.
CommandDoc describe_app(CLI::App& app);
// Reads a usage text: "usage: NAME ARGS" then "  --flag VALUE   description" lines (VALUE may be "a|b").
CommandDoc describe_usage_text(const std::string& usage);
// The first line of a description without a leading "name: " and a final period: the man page's NAME line.
std::string summary_line(const std::string& description, const std::string& program);
// The exit codes of provision::ErrorCode (0 first), for the EXIT STATUS section.
std::vector<ExitStatus> provision_exit_statuses();

std::string man_page(const ProgramDoc& program);
std::string bash_completion(const ProgramDoc& program);
std::string zsh_completion(const ProgramDoc& program);

// Writes DIR/NAME.SECTION, DIR/NAME.bash and DIR/_NAME (each through a temporary file and a rename).
void write_docs(const ProgramDoc& program, const std::string& dir);

// A program's hidden `--generate-docs DIR` (first argument): writes its docs and returns the exit code; returns
// nothing when the argument is not there, and the program parses its command line as usual.
std::optional<int> generate_docs_if_asked(int argc, char** argv, const std::function<ProgramDoc()>& describe);

}  // namespace espprov::docs
