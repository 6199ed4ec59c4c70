// The shared ledger on PostgreSQL: stations of a factory write to one database. A board is held by the station
// running it through a session advisory lock keyed on its MAC: the database drops the lock the moment that
// station's connection ends (a crash, a SIGKILL, a pulled cable), so the board can resume on another station,
// while two live stations can never run the same board. Private to lib/workflow.
//
// Secrets stay out of the rows a report reads: the device record without its secret fields (psk, private key,
// WiFi password, PoP, ...) is in ledger_devices; the secret fields are in ledger_secrets, which PUBLIC may not
// read. A reporting role is granted SELECT on ledger_devices and ledger_events only (docs/factory.md).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/postgres.hpp"
#include "provision/ledger.hpp"

namespace provision {

class PostgresLedger {
 public:
  explicit PostgresLedger(const std::string& url);  // connects and migrates; Error(database_unavailable)

  std::optional<LedgerEntry> find(const std::string& mac);
  std::vector<LedgerEntry> list();
  LedgerEntry begin(const std::string& mac, const std::string& port, const std::string& station);
  void complete_step(const std::string& mac, const std::string& step, const Record& record, const std::string& station);
  void fail_step(const std::string& mac, const std::string& step, const Error& error, const std::string& station);
  void finish(const std::string& mac, const Record& record, const std::string& station);
  void batch(const std::function<void()>& body);
  void forget(const std::string& mac);
  std::vector<Record> events(const std::string& mac);
  std::vector<Record> events_since(const std::string& since);
  std::optional<std::string> pinned_ca(const std::string& ca_url);
  void pin_ca(const std::string& ca_url, const std::string& ca_cert_pem);

 private:
  // Runs `change` as one transaction, or as a savepoint of the batch's transaction (undone alone if it throws).
  void transaction(const std::function<void()>& change);
  void begin_transaction();
  void require_held(const std::string& mac) const;
  void release(const std::string& mac);
  // The connection, re-opened first if the database dropped it (a restart), and the holds taken again; a board
  // another station took meanwhile is no longer held (its next write is ledger_busy). Never inside a batch: its
  // transaction died with the old connection, and its failure must reach the caller.
  postgres::Connection& db();

  std::recursive_mutex mutex_;  // one connection: one statement at a time, a batch's changes in one transaction
  std::string url_;
  std::unique_ptr<postgres::Connection> db_;
  std::set<std::string> held_;  // boards this station holds (advisory locks of this session)
  bool batching_ = false;
};

}  // namespace provision
