// espprov provision: the whole job for one device or many, resumable through the ledger.
#include <csignal>
#include <fmt/format.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "command.hpp"
#include "loader_common.hpp"
#include "provision/ca.hpp"
#include "provision/device_record.hpp"
#include "provision/files.hpp"
#include "provision/workflow.hpp"
#include "provision_dry_run.hpp"
#include "provision_options.hpp"

namespace {
namespace cmd_provision {

namespace workflow = provision::workflow;
using provision::Record;

// CSV columns of a provision record: every field provision sets, in the record table's order
// (provision/device_record.hpp). Rows are streamed as devices finish, so the header is fixed.
const std::vector<std::string> kCsvColumns = provision::step_csv_columns("provision");

class Output {
 public:
  explicit Output(std::string save_path) : save_path_(std::move(save_path)) {}

  void device_done(const Record& record) {
    records_.push_back(record);
    rows_.write(espprov::shown_record(record, true));
    if (!save_path_.empty()) save();
  }

  const std::vector<Record>& records() const { return records_; }

 private:
  // --save: every record so far, secrets included, 0600, replaced atomically after each device.
  void save() {
    std::string text;
    for (const auto& r : records_) text += provision::to_json_text(r) + "\n";
    provision::write_file_atomic(save_path_, text, provision::FileMode::secret);
  }

  std::string save_path_;
  std::vector<Record> records_;
  espprov::RowStream rows_{kCsvColumns};
};

// Exit code: 0 when every device succeeded; one device (or all failing alike) → that error's code; otherwise
// partial_failure.
int exit_code_of(const std::vector<Record>& records, std::string& summary) {
  std::map<std::string, int> failures;
  std::string failed_list;
  int code = 0;
  for (const auto& r : records) {
    provision::ErrorCode error{};
    std::string message, field;
    if (!provision::record_error(r, error, message, field)) continue;
    failures[std::string(provision::error_name(error))]++;
    code = provision::exit_code_of(error);
    failed_list += fmt::format(" {}={}", r.value("port", "?"), provision::error_name(error));
  }
  std::size_t failed = 0;
  for (auto& [name, count] : failures) failed += static_cast<std::size_t>(count);
  summary = fmt::format("provisioned {} of {} device(s)", records.size() - failed, records.size());
  if (failed > 0) summary += fmt::format("; failed:{}", failed_list);
  if (failed == 0) return 0;
  if (failures.size() == 1 && failed == records.size()) return code;
  return provision::exit_code_of(provision::ErrorCode::partial_failure);
}

// Two jobs on one port would fight over the same board.
void require_distinct_ports(const std::vector<std::string>& ports) {
  std::set<std::string> seen;
  for (const auto& port : ports) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(port, ec);
    const std::string key = ec ? port : canonical.string();
    if (!seen.insert(key).second) {
      throw provision::Error(provision::ErrorCode::usage,
                             fmt::format("port: {} is given twice (--port or --ports); each board once", port), "port");
    }
  }
}

// Pre-flight: the CA answers its health request over verified TLS before any board is reset, so that a CA that is
// down or a wrong --ca-bundle stops the run with no board half-done.
provision::ca::HealthReport check_ca_reachable(const provision::ca::ClientOptions& ca) {
  provision::ca::ClientOptions quick = ca;
  quick.retries = 0;
  provision::ca::Client client(quick);
  try {
    return provision::ca::run_health(client);
  } catch (const provision::Error& e) {
    throw provision::Error(e.code(), fmt::format("pre-flight: {}; no board was touched", e.what()), e.field());
  }
}

void run(const espprov::ProvisionCliOptions& cli) {
  auto options = espprov::to_provision_options(cli);
  // Output paths are checked before a board is touched: a record that cannot be saved after provisioning is a
  // board provisioned for nothing.
  if (!cli.save.empty()) provision::require_writable_file_path(cli.save, "save");
  workflow::StationOptions station;
  station.ports = cli.ports;
  bool auto_ports = false;
  for (const auto& pattern : cli.port_globs) {
    if (pattern == "auto") {
      auto_ports = true;
      continue;
    }
    for (auto& p : workflow::expand_port_glob(pattern)) station.ports.push_back(p);
  }
  auto usb_filter = espprov::usb_filter(cli.usb);
  if (auto_ports && cli.loop) {
    station.auto_ports = usb_filter;  // watched: boards plugged in later are picked up
    station.sysfs_root = espprov::sysfs_root();
  } else if (auto_ports) {
    auto found = workflow::auto_ports(usb_filter, espprov::sysfs_root());
    if (found.empty()) {
      throw provision::Error(provision::ErrorCode::bad_input,
                             "ports: --ports auto found no ESP USB serial port matching the --usb-* filters; see "
                             "espprov ports (or add --loop to wait for boards)",
                             "ports");
    }
    station.ports.insert(station.ports.end(), found.begin(), found.end());
  }
  if (station.ports.empty() && !station.auto_ports && cli.port_globs.empty()) {
    // esptool's habit: the port from the environment when no flag names one.
    if (auto port = espprov::port_or_environment(""); !port.empty()) station.ports.push_back(port);
  }
  if (station.ports.empty() && !station.auto_ports) {
    throw provision::Error(provision::ErrorCode::usage,
                           "give the device with -p/--port P (repeatable), --ports 'GLOB' or $ESPPORT", "port");
  }
  require_distinct_ports(station.ports);
  const bool shared_ledger = cli.ledger.rfind("postgresql://", 0) == 0 || cli.ledger.rfind("postgres://", 0) == 0;
  if (!cli.ledger.empty() && !shared_ledger) provision::require_writable_file_path(cli.ledger, "ledger");
  std::optional<provision::ca::HealthReport> ca_health;
  if (options.ca) ca_health = check_ca_reachable(*options.ca);
  if (cli.dry_run) return espprov::run_provision_dry_run(cli, options, station, ca_health);
  station.jobs = cli.jobs;
  station.loop = cli.loop;

  provision::Ledger ledger(cli.ledger.empty() ? provision::Ledger::default_path() : std::filesystem::path(cli.ledger),
                           cli.station.empty() ? provision::Ledger::default_station() : cli.station);
  if (options.ca) workflow::apply_ca_pin(ledger, *options.ca, cli.accept_new_ca);
  std::atomic<bool> stop{false};
  workflow::Hooks hooks;
  hooks.progress = espprov::with_warnings(espprov::progress_sink());
  hooks.stop = &stop;
  if (cli.trace) {
    hooks.trace = [](provision::serial::Direction d, std::span<const std::uint8_t> bytes) {
      std::cerr << provision::serial::format_trace("trace", d, bytes);
    };
  }

  Output output(cli.save);
  auto started = std::chrono::steady_clock::now();
  boost::asio::io_context io;
  // First SIGINT/SIGTERM: every device stops at its next step boundary (the ledger records where). A second one
  // ends the process at once; each step already committed is safe.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                              int) {
    if (ec) return;
    if (stop.exchange(true)) std::_Exit(provision::exit_code_of(provision::ErrorCode::interrupted));
    espprov::report_event("notice", "stopping after the current step (signal again to stop at once)");
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  std::exception_ptr failure;
  boost::asio::co_spawn(io, workflow::provision_station(station, options, ledger, hooks,
                                                        [&](const Record& r) { output.device_done(r); }),
                        [&](std::exception_ptr e) {
                          failure = e;
                          signals.cancel();
                        });
  io.run();
  if (failure) std::rethrow_exception(failure);

  std::string summary;
  int code = exit_code_of(output.records(), summary);
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::size_t failed = 0;
  for (const auto& r : output.records()) failed += r.value("ok", false) ? 0 : 1;
  espprov::report_summary(summary + fmt::format(" in {:.1f} s", seconds),
                          Record{{"devices", output.records().size()},
                                 {"provisioned", output.records().size() - failed},
                                 {"failed", failed},
                                 {"seconds", std::round(seconds * 10) / 10},
                                 {"exit_code", code}});
  // A signal that cut no board off (a station waiting for its next board) is a normal end: exit 0. A board cut
  // off has an `interrupted` record, counted above like any failure.
  if (code != 0) throw espprov::ExitWith{code};
}

void setup(CLI::App& app) {
  auto cli = std::make_shared<espprov::ProvisionCliOptions>();
  auto* sub = app.add_subcommand("provision", "The whole job: identity, CA certificate, NVS, flash, WiFi, verify");
  espprov::add_provision_options(*sub, *cli);
  espprov::add_output_options(*sub, true);
  sub->callback([cli] { run(*cli); });
}

const espprov::CommandRegistrar registrar{5, setup};

}  // namespace cmd_provision
}  // namespace
