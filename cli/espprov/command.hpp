// The CLI's shared conventions: every subcommand prints one device record (or one per device) on stdout in the
// format chosen by --format, reads a previous step's record with --in, and reports failures as an error record
// plus the error's exit code. Each subcommand lives in its own cmd_<name>.cpp and registers itself here.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "provision/progress.hpp"
#include "output.hpp"
#include "provision/record.hpp"

namespace espprov {

struct OutputOptions {
  std::string format = "json";  // json | csv | text
  std::string csv_header = "auto";  // auto | always | never (output.hpp)
  bool redact = false;          // secrets as "***"
  // Final records (provision; csv and text output) carry secrets only with --show-secrets; JSON records between
  // pipe steps keep them, since the next step needs them. The ledger and --save files always hold them.
  bool show_secrets = false;
  std::string progress = "auto";  // auto | plain | ndjson | none (stderr)
  std::string command;            // the subcommand run, named in progress events instead of a library layer
};

// Chosen once per run by the subcommand's flags; used for every record and for errors.
OutputOptions& output_options();

// A subcommand registers a setup function that adds itself to the app. `order` sorts --help.
using CommandSetup = void (*)(CLI::App& app);
struct CommandRegistrar {
  CommandRegistrar(int order, CommandSetup setup);
};
void setup_all_commands(CLI::App& app);

// Adds --format and --redact (every subcommand) and --progress (steps that report progress).
void add_output_options(CLI::App& sub, bool with_progress = false);
// Adds --in FILE ("-" = stdin).
void add_input_option(CLI::App& sub, std::string& in);

// Reads the input record (empty path = a new, empty record). If it carries an error from an earlier step, that
// error is passed on unchanged (same record, same exit code) instead of running this step. For steps that work on
// one board per run: several records (NDJSON) are a usage error; record_stream.hpp runs a step on each.
provision::Record read_input_record(const std::string& in);

// The record as printed: secrets as "***" under --redact, and in csv/text output unless --show-secrets.
provision::Record shown_record(const provision::Record& record, bool final_record = false);

// Progress on stderr per --progress: plain lines (step changes, every 10 % of a long step), NDJSON events (with
// "time" and "elapsed_s"), or nothing. Never prints secrets.
provision::ProgressSink progress_sink();
// Wraps a sink: a step's "warning: ..." reaches stderr once per run (not once per board) whatever --progress says,
// except none; with ndjson it stays an event of `inner`.
provision::ProgressSink with_warnings(provision::ProgressSink inner);
// With --progress ndjson, one last event {"event":"summary",...} instead of a summary line of text.
void report_summary(const std::string& text, const provision::Record& fields);
// A warning of the command itself (not of a board's step): "espprov: warning: ..." on stderr, an
// {"event":"warning"} object with --progress ndjson, nothing with --progress none.
void report_warning(const std::string& text);
// Any such line of the command: kind "warning", "error", "summary", "notice". Plain: "espprov: [kind: ]text";
// ndjson: {"time","elapsed_s","event":kind, fields..., "message":text}; none: only errors and summaries.
// report_warning and report_summary are its two common kinds.
void report_event(const std::string& kind, const std::string& text,
                  const provision::Record& fields = provision::Record::object());

// Thrown when the records are already printed and only the exit code remains (many devices, some failed).
struct ExitWith {
  int code;
};

// Thrown to pass an earlier step's error record through a pipe.
struct UpstreamFailure {
  provision::Record record;
  provision::ErrorCode code;
  std::string message;
};

}  // namespace espprov
