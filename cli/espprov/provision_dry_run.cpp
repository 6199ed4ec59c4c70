#include "provision_dry_run.hpp"

#include <filesystem>

#include "command.hpp"
#include "loader_common.hpp"
#include "provision/ledger.hpp"

namespace espprov {
namespace {
namespace provision_dry_run {

namespace workflow = provision::workflow;
using provision::Record;

bool is_shared_ledger(const std::string& path) {
  return path.rfind("postgresql://", 0) == 0 || path.rfind("postgres://", 0) == 0;
}

// An existing ledger (or the shared database) is opened, as the run would open it; a missing file is only
// reported: a dry run creates nothing.
Record check_ledger(const ProvisionCliOptions& cli) {
  const std::string path = cli.ledger.empty() ? provision::Ledger::default_path().string() : cli.ledger;
  Record ledger = Record::object();
  ledger["path"] = is_shared_ledger(path) ? std::string("postgresql://...") : path;
  std::error_code ec;
  const bool exists = is_shared_ledger(path) || std::filesystem::exists(path, ec);
  ledger["exists"] = exists;
  if (!exists) return ledger;
  provision::Ledger opened(path, cli.station.empty() ? provision::Ledger::default_station() : cli.station);
  if (cli.trust_ca_response && !cli.ca_url.empty()) {
    provision::ca::ClientOptions ca;
    ca.url = cli.ca_url;
    ca.trust_ca_response = true;
    workflow::apply_ca_pin(opened, ca, cli.accept_new_ca);
    ledger["ca_pinned"] = !ca.trusted_ca_pem.empty();
  }
  return ledger;
}

}  // namespace provision_dry_run
using namespace provision_dry_run;
}  // namespace

void run_provision_dry_run(const ProvisionCliOptions& cli, const workflow::ProvisionOptions& options,
                           const workflow::StationOptions& station,
                           const std::optional<provision::ca::HealthReport>& ca_health) {
  Record record = Record::object();
  record["ok"] = true;
  record["dry_run"] = true;
  Record checked = {"options", "files", "ports_distinct", "ledger", "ports_open"};
  if (!cli.save.empty()) checked.push_back("save");
  if (ca_health) checked.push_back("ca_health");
  record["checked"] = checked;
  if (ca_health) {
    record["ca"] = Record{{"url", cli.ca_url}, {"healthy", true}, {"tls_version", ca_health->tls_version}};
  } else {
    record["ca"] = nullptr;
  }
  record["ledger"] = check_ledger(cli);
  if (!cli.save.empty()) record["save"] = cli.save;
  const auto steps = workflow::planned_steps(options);
  Record ports = Record::array();
  for (const auto& port : station.ports) {
    check_port_opens(port, cli.baud);
    ports.push_back(Record{{"port", port}, {"opened", true}, {"steps", steps}});
  }
  record["ports"] = ports;
  if (station.auto_ports) record["watching"] = "auto: boards plugged in later are provisioned (--loop)";
  record["jobs"] = cli.jobs;
  record["loop"] = cli.loop;
  emit(record);
}

}  // namespace espprov
