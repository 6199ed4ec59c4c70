#include "command.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fmt/format.h>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "clock_text.hpp"
#include "progress_display.hpp"
#include "record_stream.hpp"
#include "provision/files.hpp"

namespace espprov {
namespace {
namespace command {

struct Registered {
  int order;
  CommandSetup setup;
};

std::vector<Registered>& registry() {
  static std::vector<Registered> commands;
  return commands;
}

}  // namespace command
using namespace command;
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
  sub.add_option("--format", options.format,
                 "Output format: json (one object per line), csv (header + rows), text (lines and tables)")
      ->check(CLI::IsMember({"json", "csv", "text"}))
      ->capture_default_str();
  sub.add_option("--csv-header", options.csv_header,
                 "CSV header line: auto (left out when stdout is a file that already has content, as with >>), "
                 "always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  sub.add_flag("--redact", options.redact, "Replace secrets (psk, passwords, private keys) with \"***\"");
  if (sub.get_option_no_throw("--show-secrets") == nullptr) {
    sub.add_flag("--show-secrets", options.show_secrets,
                 "Print secrets in csv/text output and in final records (JSON between pipe steps always has them)");
  }
  if (with_progress) {
    sub.preparse_callback([name = sub.get_name()](std::size_t) { output_options().command = name; });
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
  auto records = read_input_records(in);
  if (records.size() > 1) {
    throw provision::Error(provision::ErrorCode::usage,
                           "in: " + std::to_string(records.size()) +
                               " records on --in, but this step works on one board per run; give it one record",
                           "in");
  }
  return records.front();
}

provision::Record shown_record(const provision::Record& record, bool final_record) {
  const auto& options = output_options();
  const bool hide = options.redact || (!options.show_secrets && (final_record || options.format != "json"));
  return hide ? provision::redact(record) : record;
}

std::string utc_now_rfc3339_ms() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, ms);
}

namespace {
namespace command {

// The library's layer name ("loader") is not a step the user knows: the subcommand run is.
std::string user_step(const std::string& step) {
  const auto& command = output_options().command;
  return step == "loader" && !command.empty() && command != "provision" ? command : step;
}

const auto kStarted = std::chrono::steady_clock::now();

double elapsed_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - kStarted).count();
}

}  // namespace command
using namespace command;
}  // namespace

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
      event["time"] = utc_now_rfc3339_ms();
      event["elapsed_s"] = std::round(elapsed_s() * 1000) / 1000;
      event["device"] = e.device;
      event["step"] = user_step(e.step);
      event["state"] = provision::to_string(e.state);
      event["fraction"] = e.fraction;
      event["message"] = e.message;
      // A wait notice: what the step waits for and for how long (its own clock; the event's elapsed_s is the run's).
      if (!e.waiting.empty()) event["waiting"] = {{"for", e.waiting}, {"elapsed_s", e.waited_s}};
      std::lock_guard guard(*lock);
      std::cerr << provision::to_json_text(event) << '\n';
    };
  }
  // plain: one line per step change, one per 10 % of a step that reports its fraction (a flash write), and the
  // wait notices of a step that waits (lib's WaitNotices), so a log outside a terminal never goes silent for long.
  auto shown_tenths = std::make_shared<std::map<std::string, int>>();
  return [lock, shown_tenths](const provision::ProgressEvent& e) {
    const std::string step = user_step(e.step);
    const std::string prefix = e.device.empty() ? "" : e.device + " ";
    std::lock_guard guard(*lock);
    if (e.state == provision::StepState::progress) {
      if (!e.waiting.empty()) {  // "waiting for CA, 3 s": a slow step says so every few seconds
        std::cerr << fmt::format("{}{}: {}\n", prefix, step, e.message);
        return;
      }
      if (!(e.fraction > 0)) return;
      const int tenths = static_cast<int>(e.fraction * 10 + 1e-9);
      int& shown = (*shown_tenths)[prefix + step];
      if (tenths <= shown) return;
      shown = tenths;
      std::cerr << fmt::format("{}{}: {}%{}{}\n", prefix, step, tenths * 10, e.message.empty() ? "" : " - ",
                               e.message);
      return;
    }
    if (e.state == provision::StepState::started) (*shown_tenths)[prefix + step] = 0;
    std::cerr << fmt::format("{}{}: {}{}{}\n", prefix, step, provision::to_string(e.state),
                             e.message.empty() ? "" : " - ", e.message);
  };
}

provision::ProgressSink with_warnings(provision::ProgressSink inner) {
  const std::string mode = output_options().progress;
  auto seen = std::make_shared<std::set<std::string>>();
  return [inner = std::move(inner), mode, seen](const provision::ProgressEvent& e) {
    if (e.message.rfind("warning: ", 0) == 0 && mode != "ndjson") {
      // The same warning for another board (its port named in it) is the same warning.
      std::string key = e.message;
      for (std::size_t at = 0; !e.device.empty() && (at = key.find(e.device)) != std::string::npos;) {
        key.replace(at, e.device.size(), "<port>");
      }
      if (mode != "none" && seen->insert(key).second) {
        std::cerr << "espprov: " << (e.device.empty() ? "" : e.device + ": ") << e.message << '\n';
      }
      return;
    }
    if (inner) inner(e);
  };
}

void report_event(const std::string& kind, const std::string& text, const provision::Record& fields) {
  const auto& mode = output_options().progress;
  if (mode == "ndjson") {
    provision::Record event = provision::Record::object();
    event["time"] = utc_now_rfc3339_ms();
    event["elapsed_s"] = std::round(elapsed_s() * 1000) / 1000;
    event["event"] = kind;
    provision::merge_into(event, fields);
    event["message"] = text;
    std::cerr << provision::to_json_text(event) << '\n';
    return;
  }
  if (mode == "none" && kind != "error" && kind != "summary") return;  // a summary: the line a station log keeps
  const bool labelled = kind == "warning" || kind == "error";
  std::cerr << "espprov: " << (labelled ? kind + ": " : "") << text << '\n';
}

void report_warning(const std::string& text) { report_event("warning", text); }

void report_summary(const std::string& text, const provision::Record& fields) {
  report_event("summary", text, fields);
}

}  // namespace espprov
