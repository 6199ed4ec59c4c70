// The ledger: every device's progress and results, one SQLite transaction per step, so that nothing a CA has
// accepted is ever lost and a re-run resumes where a device stopped. The file holds secrets (PSK, private key,
// WiFi password): it is created 0600. Stations of a factory share one ledger on PostgreSQL instead
// (--ledger postgresql://..., lib/workflow/ledger_postgres.cpp): a board is then held by one station at a time.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "provision/error.hpp"
#include "provision/record.hpp"

struct sqlite3;

namespace provision {

class PostgresLedger;

struct LedgerEntry {
  std::string mac;      // A0:B1:C2:D3:E4:F5, the key
  std::string uuid;
  std::string chip;
  std::string step;     // the last step completed ("" before the first)
  std::string status;   // in_progress | done | failed
  std::string error_code;
  std::string error_message;
  std::string created_at;  // RFC 3339 UTC
  std::string updated_at;
  int attempts = 0;
  Record record;        // the device record as of `step`, secrets included
};

class Ledger {
 public:
  // $ESPPROV_LEDGER, else $XDG_STATE_HOME/espprov/ledger.db, else ~/.local/state/espprov/ledger.db.
  static std::filesystem::path default_path();
  // The station name recorded with every step by default: the host name.
  static std::string default_station();

  // Opens or creates the ledger (WAL, synchronous=FULL, mode 0600). Throws Error(ledger). A path that is a
  // postgresql:// URL opens the shared ledger in that database (Error(database_unavailable) when unreachable).
  explicit Ledger(const std::filesystem::path& path, std::string station = default_station());
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  std::optional<LedgerEntry> find(const std::string& mac);
  std::vector<LedgerEntry> list();

  // A run starts on this device: creates its row or counts one more attempt; status in_progress. On a shared
  // ledger the board is then held by this station until finish or fail_step; a board another live station holds
  // throws Error(ledger_busy) naming that station.
  LedgerEntry begin(const std::string& mac, const std::string& port);
  // Step `step` completed and produced `record` (the whole record so far). One transaction.
  void complete_step(const std::string& mac, const std::string& step, const Record& record);
  // Step `step` failed; the record keeps what earlier steps produced.
  void fail_step(const std::string& mac, const std::string& step, const Error& error);
  // The device is provisioned and verified.
  void finish(const std::string& mac, const Record& record);

  // Runs `body` as one transaction: the changes it makes (each still all-or-nothing) become durable together,
  // with one fsync. A change that throws inside is undone alone when its caller catches the error. Group commit
  // for many devices at once (see lib/workflow/ledger_writer.hpp).
  void batch(const std::function<void()>& body);

  // Removes the device and its history (an operator's decision: its next run generates a new PSK).
  void forget(const std::string& mac);

  // Step history of one device, oldest first: {"step","state","at","station","message"}.
  std::vector<Record> events(const std::string& mac);
  // Every step event at or after `since` (RFC 3339 UTC), oldest first, for reports:
  // {"mac","step","state","at","station","error_code"}.
  std::vector<Record> events_since(const std::string& since);

  // The CA certificate pinned for a CA URL by a run with --trust-ca-response (ledger_ca_pin.cpp), and pinning
  // one (replacing another only when the operator said --accept-new-ca).
  std::optional<std::string> pinned_ca(const std::string& ca_url);
  void pin_ca(const std::string& ca_url, const std::string& ca_cert_pem);

  const std::filesystem::path& path() const { return path_; }  // a URL's password is shown as ***
  const std::string& station() const { return station_; }

 private:
  void exec(const char* sql);
  void open_and_prepare();
  std::filesystem::path path_;
  // The ledger file, held open for the connection's life: an flock on it serialises first opens (schema
  // creation), and closing it earlier would drop SQLite's own locks on the file (POSIX locks are per process).
  int file_fd_ = -1;
  sqlite3* db_ = nullptr;
  bool batching_ = false;
  std::string station_;
  std::unique_ptr<PostgresLedger> shared_;  // set for a postgresql:// ledger; the SQLite members are then unused
};

// The entry as an export row: secrets removed unless `include_secrets`.
Record ledger_row(const LedgerEntry& entry, bool include_secrets);

}  // namespace provision
