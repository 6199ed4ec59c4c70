// espprov ledger list|show|export: what the ledger knows about every device, for people, spreadsheets, audits.
#include "command.hpp"
#include "provision/identity.hpp"
#include "provision/ledger.hpp"
#include "provision/ledger_report.hpp"

#include <iostream>

namespace {
namespace cmd_ledger {

struct LedgerOptions {
  std::string path;
  std::string mac;
  bool include_secrets = false;
  std::string since;
  std::string format = "text";
};

// --since: a date or an RFC 3339 UTC time; the ledger's timestamps compare as text.
std::string checked_since(const std::string& since) {
  const bool date = since.size() >= 10 && std::isdigit(static_cast<unsigned char>(since[0])) && since[4] == '-' &&
                    since[7] == '-';
  if (!date || (since.size() > 10 && (since[10] != 'T' || since.back() != 'Z'))) {
    throw provision::Error(provision::ErrorCode::usage,
                           "--since \"" + since + "\": write a UTC date or time, e.g. 2026-12-01 or 2026-12-01T06:00:00Z",
                           "since");
  }
  return since;
}

std::filesystem::path ledger_path(const LedgerOptions& options) {
  return options.path.empty() ? provision::Ledger::default_path() : std::filesystem::path(options.path);
}

// The ledger commands read (or forget from) a ledger that a run made; they never create one: a mistyped --ledger
// would otherwise answer with an empty new database and exit 0.
std::filesystem::path existing_ledger_path(const LedgerOptions& options) {
  auto path = ledger_path(options);
  const std::string text = path.string();
  // A shared ledger (postgresql://) is a database the server checks when it is opened.
  if (text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0) return path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw provision::Error(provision::ErrorCode::ledger,
                           "ledger: there is no ledger at " + path.string() +
                               " (no run has used it); check --ledger or $ESPPROV_LEDGER",
                           "ledger");
  }
  return path;
}

provision::LedgerEntry find_device(provision::Ledger& ledger, const std::string& mac) {
  auto entry = ledger.find(mac);
  if (!entry) {
    throw provision::Error(provision::ErrorCode::bad_input,
                           "mac: " + mac + " is not in the ledger " + ledger.path().string(), "mac");
  }
  return *entry;
}

void add_ledger_option(CLI::App& sub, LedgerOptions& options) {
  sub.add_option("--ledger", options.path, "Ledger file (default $ESPPROV_LEDGER or ~/.local/state/espprov/ledger.db)");
}

void setup(CLI::App& app) {
  auto options = std::make_shared<LedgerOptions>();
  auto* ledger = app.add_subcommand("ledger", "Show what the provisioning ledger recorded per device");
  ledger->require_subcommand(1);
  ledger->footer(
      "Examples:\n"
      "  espprov ledger list\n"
      "  espprov ledger show A0:B1:C2:D3:E4:F5\n"
      "  espprov ledger forget A0:B1:C2:D3:E4:F5                 (the CA keeps its registration)\n"
      "  espprov ledger export --format csv > devices.csv        (secrets left out)\n"
      "  espprov ledger export --format json --include-secrets   (for a backend import; handle with care)\n"
      "  espprov ledger report --since 2026-12-01 --format html > report.html");

  auto* list = ledger->add_subcommand("list", "One line per device: mac, uuid, chip, status, last step");
  add_ledger_option(*list, *options);
  espprov::add_output_options(*list);
  list->callback([options] {
    provision::Ledger ledger(existing_ledger_path(*options));
    std::vector<provision::Record> rows;
    for (const auto& entry : ledger.list()) {
      provision::Record row = provision::Record::object();
      row["mac"] = entry.mac;
      row["uuid"] = entry.uuid;
      row["chip"] = entry.chip;
      row["status"] = entry.status;
      row["step"] = entry.step;
      row["attempts"] = entry.attempts;
      row["updated_at"] = entry.updated_at;
      if (!entry.error_code.empty()) row["error_code"] = entry.error_code;
      rows.push_back(std::move(row));
    }
    espprov::emit_many(rows);
  });

  auto* show = ledger->add_subcommand("show", "Everything about one device, with its step history");
  show->add_option("mac", options->mac, "The device's MAC (any spelling)")->required();
  show->add_flag("--show-secrets", options->include_secrets, "Include psk, private key and WiFi password");
  add_ledger_option(*show, *options);
  espprov::add_output_options(*show);
  show->callback([options] {
    espprov::output_options().show_secrets = options->include_secrets;
    const std::string mac = provision::mac_colon(provision::parse_mac(options->mac));
    provision::Ledger ledger(existing_ledger_path(*options));
    auto entry = find_device(ledger, mac);
    auto row = provision::ledger_row(entry, options->include_secrets);
    row["events"] = ledger.events(mac);
    const std::vector<provision::Record> events(row["events"].begin(), row["events"].end());
    espprov::emit_listing(row, events, "events");
  });

  auto* forget = ledger->add_subcommand(
      "forget", "Remove one device from the ledger; its next run makes a new PSK (a CA holding the old one answers 409)");
  forget->add_option("mac", options->mac, "The device's MAC (any spelling)")->required();
  add_ledger_option(*forget, *options);
  espprov::add_output_options(*forget);
  forget->callback([options] {
    const std::string mac = provision::mac_colon(provision::parse_mac(options->mac));
    provision::Ledger ledger(existing_ledger_path(*options));
    auto entry = find_device(ledger, mac);
    ledger.forget(mac);
    provision::Record row = provision::ledger_row(entry, false);
    row["forgotten"] = true;
    espprov::emit(row);
  });

  auto* exp = ledger->add_subcommand("export", "Every device as CSV rows or NDJSON, secrets left out unless asked");
  exp->add_flag("--include-secrets", options->include_secrets, "Include psk, private key and WiFi password");
  add_ledger_option(*exp, *options);
  espprov::add_output_options(*exp);
  exp->callback([options] {
    espprov::output_options().show_secrets = options->include_secrets;
    provision::Ledger ledger(existing_ledger_path(*options));
    std::vector<provision::Record> rows;
    for (const auto& entry : ledger.list()) rows.push_back(provision::ledger_row(entry, options->include_secrets));
    espprov::emit_many(rows);
  });
}

void setup_report(CLI::App& app) {
  auto options = std::make_shared<LedgerOptions>();
  auto* ledger = app.get_subcommand("ledger");
  auto* report = ledger->add_subcommand(
      "report", "Boards per hour per station, first-pass yield, failures by step and error code, median step times");
  report->add_option("--since", options->since, "From this UTC date or time on (2026-12-01, 2026-12-01T06:00:00Z)")
      ->required();
  report->add_option("--format", options->format, "text, json, csv or html (one page, inline SVG charts)")
      ->check(CLI::IsMember({"text", "json", "csv", "html"}))->capture_default_str();
  add_ledger_option(*report, *options);
  report->callback([options] {
    const std::string since = checked_since(options->since);
    provision::Ledger ledger(ledger_path(*options));
    auto figures = provision::ledger_report(ledger.events_since(since), since);
    if (options->format == "json") {
      std::cout << figures.dump() << '\n';
    } else if (options->format == "csv") {
      std::cout << provision::report_csv(figures);
    } else if (options->format == "html") {
      std::cout << provision::report_html(figures);
    } else {
      std::cout << provision::report_text(figures);
    }
  });
}

const espprov::CommandRegistrar registrar{900, setup};
const espprov::CommandRegistrar report_registrar{901, setup_report};

}  // namespace cmd_ledger
}  // namespace
