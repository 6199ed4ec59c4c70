#include "command.hpp"

#include <unistd.h>

#include <algorithm>
#include <fmt/format.h>
#include <iostream>
#include <mutex>

#include "progress_display.hpp"
#include "provision/files.hpp"

namespace espprov {
namespace {

struct Registered {
  int order;
  CommandSetup setup;
};

std::vector<Registered>& registry() {
  static std::vector<Registered> commands;
  return commands;
}

}  // namespace

OutputOptions& output_options() {
  static OutputOptions options;
  return options;
}

CommandRegistrar::CommandRegistrar(int order, CommandSetup setup) { registry().push_back({order, setup}); }

void setup_all_commands(CLI::App& app) {
  auto commands = registry();
  std::stable_sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.order < b.order; });
  for (auto& command : commands) command.setup(app);
}

void add_output_options(CLI::App& sub, bool with_progress) {
  auto& options = output_options();
  sub.add_option("--format", options.format, "Output format: json (one object), csv (header + row), text")
      ->check(CLI::IsMember({"json", "csv", "text"}))
      ->capture_default_str();
  sub.add_flag("--redact", options.redact, "Replace secrets (psk, passwords, private keys) with \"***\"");
  if (with_progress) {
    sub.add_option("--progress", options.progress,
                   "Progress on stderr: auto (live on a terminal, lines otherwise), plain, ndjson, none")
        ->check(CLI::IsMember({"auto", "plain", "ndjson", "none"}))
        ->capture_default_str();
  }
}

void add_input_option(CLI::App& sub, std::string& in) {
  sub.add_option("--in", in, "Read the device record of an earlier step from FILE ('-' = stdin) and add to it");
}

provision::Record read_input_record(const std::string& in) {
  if (in.empty()) return provision::Record::object();
  std::string text = provision::read_file_text(in);
  auto record = provision::parse_record(text, in == "-" ? "stdin" : in);
  provision::ErrorCode code{};
  std::string message, field;
  if (provision::record_error(record, code, message, field)) throw UpstreamFailure{record, code, message};
  return record;
}

void emit(provision::Record record) {
  auto& options = output_options();
  if (!record.contains("ok")) {
    provision::Record ordered = provision::Record::object();
    ordered["ok"] = true;
    provision::merge_into(ordered, record);
    record = std::move(ordered);
  }
  if (options.redact) record = provision::redact(record);
  if (options.format == "csv") {
    auto columns = provision::csv_columns({record});
    std::cout << provision::csv_header(columns) << provision::csv_row(record, columns);
  } else if (options.format == "text") {
    std::cout << provision::text_lines(record);
  } else {
    std::cout << provision::to_json_text(record) << '\n';
  }
  std::cout.flush();
}

void emit_many(const std::vector<provision::Record>& records) {
  auto& options = output_options();
  std::vector<provision::Record> shown;
  shown.reserve(records.size());
  for (const auto& r : records) shown.push_back(options.redact ? provision::redact(r) : r);
  if (options.format == "csv") {
    auto columns = provision::csv_columns(shown);
    std::cout << provision::csv_header(columns);
    for (const auto& r : shown) std::cout << provision::csv_row(r, columns);
  } else if (options.format == "text") {
    for (const auto& r : shown) std::cout << provision::text_lines(r) << '\n';
  } else {
    for (const auto& r : shown) std::cout << provision::to_json_text(r) << '\n';
  }
  std::cout.flush();
}

provision::ProgressSink progress_sink() {
  std::string mode = output_options().progress;
  if (mode == "none") return {};
  if (mode == "auto") {
    if (::isatty(STDERR_FILENO)) return live_progress_sink();
    mode = "plain";
  }
  auto lock = std::make_shared<std::mutex>();
  if (mode == "ndjson") {
    return [lock](const provision::ProgressEvent& e) {
      provision::Record event = provision::Record::object();
      event["device"] = e.device;
      event["step"] = e.step;
      event["state"] = provision::to_string(e.state);
      event["fraction"] = e.fraction;
      event["message"] = e.message;
      std::lock_guard guard(*lock);
      std::cerr << provision::to_json_text(event) << '\n';
    };
  }
  return [lock](const provision::ProgressEvent& e) {
    if (e.state == provision::StepState::progress) return;  // plain mode: one line per step change
    std::lock_guard guard(*lock);
    std::cerr << fmt::format("{}{}: {}{}{}\n", e.device.empty() ? "" : e.device + " ", e.step,
                             provision::to_string(e.state), e.message.empty() ? "" : " - ", e.message);
  };
}

}  // namespace espprov
