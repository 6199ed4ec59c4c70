// The CA certificate a station trusts when it was given none (--trust-ca-response): pinned in the ledger at the
// first registration, so a later run against the same CA URL accepts only that certificate (trust on first use).
#include <fmt/format.h>

#include "core/sqlite.hpp"
#include "provision/ca.hpp"
#include "provision/ledger.hpp"
#include "provision/workflow.hpp"
#include "workflow/ledger_postgres.hpp"

namespace provision {
namespace {

constexpr sqlite::Owner kPinOwner{ErrorCode::ledger, "ledger"};

// Created on first use, so ledgers written before pins existed need no migration.
void ensure_pin_table(sqlite3* db) {
  sqlite::exec(db,
               "CREATE TABLE IF NOT EXISTS ca_pins (ca_url TEXT PRIMARY KEY, ca_cert TEXT NOT NULL, "
               "pinned_at TEXT NOT NULL)",
               kPinOwner);
}

}  // namespace

std::optional<std::string> Ledger::pinned_ca(const std::string& ca_url) {
  if (shared_) return shared_->pinned_ca(ca_url);
  ensure_pin_table(db_);
  sqlite::Statement select(db_, "SELECT ca_cert FROM ca_pins WHERE ca_url = ?1", kPinOwner);
  select.bind(1, ca_url);
  if (!select.step()) return std::nullopt;
  return select.text(0);
}

void Ledger::pin_ca(const std::string& ca_url, const std::string& ca_cert_pem) {
  if (shared_) return shared_->pin_ca(ca_url, ca_cert_pem);
  ensure_pin_table(db_);
  sqlite::Statement upsert(db_,
                           "INSERT INTO ca_pins (ca_url, ca_cert, pinned_at) VALUES (?1, ?2, ?3) ON CONFLICT(ca_url) "
                           "DO UPDATE SET ca_cert = excluded.ca_cert, pinned_at = excluded.pinned_at "
                           "WHERE ca_pins.ca_cert <> excluded.ca_cert",
                           kPinOwner);
  upsert.bind(1, ca_url).bind(2, ca_cert_pem).bind(3, sqlite::now_rfc3339_ms());
  upsert.step();
}

}  // namespace provision

namespace provision::workflow {

std::string ca_pin_key(const std::string& ca_url) {
  const auto url = ca::parse_ca_url(ca_url);
  return url.origin() + url.base_path;
}

void apply_ca_pin(Ledger& ledger, ca::ClientOptions& ca, bool accept_new_ca) {
  if (!ca.trust_ca_response || !ca.trusted_ca_pem.empty() || accept_new_ca) return;
  if (auto pinned = ledger.pinned_ca(ca_pin_key(ca.url))) {
    ca.trusted_ca_pem = *pinned;
    ca.trust_ca_response = false;  // now exactly like --ca-cert with the pinned certificate
  }
}

}  // namespace provision::workflow
