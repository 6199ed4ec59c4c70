#include "workflow/ledger_postgres.hpp"

#include <fmt/format.h>

#include "core/sqlite.hpp"  // now_rfc3339_ms: the same timestamps as the SQLite ledger

namespace provision {
namespace {

constexpr const char* kOwner = "ledger";
constexpr long kMigrationLockKey = 0x6573706c67;  // "esplg": one station migrates at a time

// The SQLite ledger's tables, prefixed (a factory may keep the CA registry in the same database), plus the
// station of every step and the secret fields apart.
const std::vector<postgres::Migration>& migrations() {
  static const std::vector<postgres::Migration> all = {
      {1,
       {R"sql(CREATE TABLE ledger_devices (
            mac TEXT PRIMARY KEY,
            uuid TEXT NOT NULL DEFAULT '',
            chip TEXT NOT NULL DEFAULT '',
            step TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'in_progress',
            error_code TEXT NOT NULL DEFAULT '',
            error_message TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            station TEXT NOT NULL DEFAULT '',
            record TEXT NOT NULL DEFAULT '{}'))sql",
        R"sql(CREATE TABLE ledger_secrets (
            mac TEXT PRIMARY KEY REFERENCES ledger_devices(mac) ON DELETE CASCADE,
            secrets TEXT NOT NULL DEFAULT '{}'))sql",
        "REVOKE ALL ON ledger_secrets FROM PUBLIC",
        R"sql(CREATE TABLE ledger_events (
            id BIGSERIAL PRIMARY KEY,
            mac TEXT NOT NULL,
            step TEXT NOT NULL,
            state TEXT NOT NULL,
            at TEXT NOT NULL,
            station TEXT NOT NULL DEFAULT '',
            error_code TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL DEFAULT ''))sql",
        "CREATE INDEX ledger_events_by_mac ON ledger_events (mac, id)",
        "CREATE INDEX ledger_events_by_time ON ledger_events (at)",
        R"sql(CREATE TABLE ledger_ca_pins (
            ca_url TEXT PRIMARY KEY, ca_cert TEXT NOT NULL, pinned_at TEXT NOT NULL))sql"}},
  };
  return all;
}

void migrate(postgres::Connection& db) {
  postgres::migrate(db, {"ledger_schema_version", kMigrationLockKey, migrations()}, [](int current, int latest) {
    return Error(ErrorCode::ledger,
                 fmt::format("ledger database: schema version {} is newer than this espprov knows ({}); upgrade "
                             "espprov on this station",
                             current, latest),
                 "ledger");
  });
}

// The record split in two: what a report may read, and the secret fields.
std::pair<std::string, std::string> split_secrets(const Record& record) {
  Record open = Record::object(), secret = Record::object();
  for (const auto& [key, value] : record.items()) (is_secret_field(key) ? secret : open)[key] = value;
  return {to_json_text(open), to_json_text(secret)};
}

std::string field(const Record& record, const char* name) {
  return record.contains(name) && record[name].is_string() ? record[name].get<std::string>() : "";
}

constexpr const char* kSelect =
    "SELECT d.mac, d.uuid, d.chip, d.step, d.status, d.error_code, d.error_message, d.created_at, d.updated_at, "
    "d.attempts, d.record, coalesce(s.secrets, '{}') FROM ledger_devices d LEFT JOIN ledger_secrets s USING (mac)";

LedgerEntry entry_of(const postgres::Result& r, int i) {
  LedgerEntry e;
  e.mac = r.text(i, 0);
  e.uuid = r.text(i, 1);
  e.chip = r.text(i, 2);
  e.step = r.text(i, 3);
  e.status = r.text(i, 4);
  e.error_code = r.text(i, 5);
  e.error_message = r.text(i, 6);
  e.created_at = r.text(i, 7);
  e.updated_at = r.text(i, 8);
  e.attempts = std::stoi(r.text(i, 9));
  e.record = Record::parse(r.text(i, 10), nullptr, false);
  if (!e.record.is_object()) e.record = Record::object();
  Record secrets = Record::parse(r.text(i, 11), nullptr, false);
  if (secrets.is_object()) merge_into(e.record, secrets);
  return e;
}

std::string lock_key(const std::string& mac) {
  return "espprov-ledger:" + mac;
}

}  // namespace

PostgresLedger::PostgresLedger(const std::string& url)
    : url_(url), db_(std::make_unique<postgres::Connection>(url, kOwner)) {
  migrate(*db_);
}

postgres::Connection& PostgresLedger::db() {
  if (batching_ || !db_->broken()) return *db_;
  db_ = std::make_unique<postgres::Connection>(url_, kOwner);
  for (auto it = held_.begin(); it != held_.end();) {
    auto got = db_->exec("SELECT pg_try_advisory_lock(hashtext($1))", {lock_key(*it)});
    it = got.text(0, 0) == "t" ? std::next(it) : held_.erase(it);
  }
  return *db_;
}

// BEGIN on a connection the database dropped fails once; the connection is then re-opened and BEGIN sent again.
void PostgresLedger::begin_transaction() {
  try {
    db().exec("BEGIN");
  } catch (const postgres::Failure& failure) {
    if (failure.code() != ErrorCode::database_unavailable) throw;
    db().exec("BEGIN");
  }
}

void PostgresLedger::transaction(const std::function<void()>& change) {
  std::lock_guard lock(mutex_);
  if (batching_) {
    db().exec("SAVEPOINT step");
  } else {
    begin_transaction();
  }
  try {
    change();
    db().exec(batching_ ? "RELEASE SAVEPOINT step" : "COMMIT");
  } catch (...) {
    try {
      db().exec(batching_ ? "ROLLBACK TO SAVEPOINT step" : "ROLLBACK");
    } catch (const Error&) {
    }
    throw;
  }
}

void PostgresLedger::batch(const std::function<void()>& body) {
  std::lock_guard lock(mutex_);
  if (batching_) {
    body();
    return;
  }
  begin_transaction();
  batching_ = true;
  try {
    body();
  } catch (...) {
    batching_ = false;
    postgres::rollback_quietly(db());
    throw;
  }
  batching_ = false;
  db().exec("COMMIT");
}

std::optional<LedgerEntry> PostgresLedger::find(const std::string& mac) {
  std::lock_guard lock(mutex_);
  auto r = db().exec((std::string(kSelect) + " WHERE d.mac = $1").c_str(), {mac});
  if (r.rows() == 0) return std::nullopt;
  return entry_of(r, 0);
}

std::vector<LedgerEntry> PostgresLedger::list() {
  std::lock_guard lock(mutex_);
  auto r = db().exec((std::string(kSelect) + " ORDER BY d.created_at, d.mac").c_str());
  std::vector<LedgerEntry> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(entry_of(r, i));
  return out;
}

LedgerEntry PostgresLedger::begin(const std::string& mac, const std::string& port, const std::string& station) {
  std::lock_guard lock(mutex_);
  if (!held_.count(mac)) {
    // Not transactional: the lock is the session's, kept across this station's transactions until released.
    auto got = db().exec("SELECT pg_try_advisory_lock(hashtext($1))", {lock_key(mac)});
    if (got.text(0, 0) != "t") {
      auto holder = db().exec("SELECT station, step, updated_at FROM ledger_devices WHERE mac = $1", {mac});
      const std::string who = holder.rows() ? holder.text(0, 0) : "?";
      throw Error(
          ErrorCode::ledger_busy,
          fmt::format(
              "ledger: board {} is being provisioned by station \"{}\"{}; leave it there, or move it "
              "once that station has stopped (its hold ends with its connection)",
              mac, who,
              holder.rows() ? fmt::format(" (last step \"{}\" at {})", holder.text(0, 1), holder.text(0, 2)) : ""),
          "mac");
    }
    held_.insert(mac);
  }
  const std::string now = sqlite::now_rfc3339_ms();
  try {
    transaction([&] {
      db().exec(
          "INSERT INTO ledger_devices (mac, created_at, updated_at, attempts, status, station) VALUES ($1, $2, $2, "
          "1, 'in_progress', $3) ON CONFLICT (mac) DO UPDATE SET attempts = ledger_devices.attempts + 1, "
          "status = 'in_progress', error_code = '', error_message = '', updated_at = $2, station = $3",
          {mac, now, station});
      db().exec("INSERT INTO ledger_secrets (mac) VALUES ($1) ON CONFLICT (mac) DO NOTHING", {mac});
      db().exec(
          "INSERT INTO ledger_events (mac, step, state, at, station, message) VALUES ($1, 'begin', "
          "'started', $2, $3, $4)",
          {mac, now, station, port.empty() ? "" : "port " + port});
    });
  } catch (...) {
    release(mac);
    throw;
  }
  return *find(mac);
}

void PostgresLedger::require_held(const std::string& mac) const {
  if (!held_.count(mac)) {
    throw Error(ErrorCode::ledger_busy,
                fmt::format("ledger: this station does not hold board {} (begin was refused or not called)", mac),
                "mac");
  }
}

void PostgresLedger::release(const std::string& mac) {
  if (!held_.erase(mac)) return;
  db().exec("SELECT pg_advisory_unlock(hashtext($1))", {lock_key(mac)});
}

void PostgresLedger::complete_step(const std::string& mac, const std::string& step, const Record& record,
                                   const std::string& station) {
  std::lock_guard lock(mutex_);
  require_held(mac);
  const std::string now = sqlite::now_rfc3339_ms();
  auto [open, secret] = split_secrets(record);
  transaction([&] {
    db().exec(
        "UPDATE ledger_devices SET step = $2, uuid = $3, chip = $4, record = $5, updated_at = $6, station = $7 "
        "WHERE mac = $1",
        {mac, step, field(record, "uuid"), field(record, "chip"), open, now, station});
    db().exec("UPDATE ledger_secrets SET secrets = $2 WHERE mac = $1", {mac, secret});
    db().exec("INSERT INTO ledger_events (mac, step, state, at, station) VALUES ($1, $2, 'done', $3, $4)",
              {mac, step, now, station});
  });
}

void PostgresLedger::fail_step(const std::string& mac, const std::string& step, const Error& error,
                               const std::string& station) {
  std::lock_guard lock(mutex_);
  if (!held_.count(mac)) return;  // another station's board (begin refused): its row is not ours to mark
  const std::string now = sqlite::now_rfc3339_ms();
  const std::string code(error_name(error.code()));
  transaction([&] {
    db().exec(
        "UPDATE ledger_devices SET status = 'failed', error_code = $2, error_message = $3, updated_at = $4, "
        "station = $5 WHERE mac = $1",
        {mac, code, error.what(), now, station});
    db().exec(
        "INSERT INTO ledger_events (mac, step, state, at, station, error_code, message) VALUES ($1, $2, "
        "'failed', $3, $4, $5, $6)",
        {mac, step, now, station, code, error.what()});
  });
  release(mac);
}

void PostgresLedger::finish(const std::string& mac, const Record& record, const std::string& station) {
  std::lock_guard lock(mutex_);
  require_held(mac);
  const std::string now = sqlite::now_rfc3339_ms();
  auto [open, secret] = split_secrets(record);
  transaction([&] {
    db().exec(
        "UPDATE ledger_devices SET status = 'done', step = 'verified', uuid = $2, chip = $3, record = $4, "
        "error_code = '', error_message = '', updated_at = $5, station = $6 WHERE mac = $1",
        {mac, field(record, "uuid"), field(record, "chip"), open, now, station});
    db().exec("UPDATE ledger_secrets SET secrets = $2 WHERE mac = $1", {mac, secret});
    db().exec("INSERT INTO ledger_events (mac, step, state, at, station) VALUES ($1, 'verified', 'done', $2, $3)",
              {mac, now, station});
  });
  release(mac);
}

void PostgresLedger::forget(const std::string& mac) {
  std::lock_guard lock(mutex_);
  transaction([&] {
    db().exec("DELETE FROM ledger_devices WHERE mac = $1", {mac});  // ledger_secrets: ON DELETE CASCADE
    db().exec("DELETE FROM ledger_events WHERE mac = $1", {mac});
  });
}

std::vector<Record> PostgresLedger::events(const std::string& mac) {
  std::lock_guard lock(mutex_);
  auto r = db().exec("SELECT step, state, at, station, message FROM ledger_events WHERE mac = $1 ORDER BY id", {mac});
  std::vector<Record> out;
  for (int i = 0; i < r.rows(); ++i) {
    Record e = Record::object();
    e["step"] = r.text(i, 0);
    e["state"] = r.text(i, 1);
    e["at"] = r.text(i, 2);
    e["station"] = r.text(i, 3);
    e["message"] = r.text(i, 4);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Record> PostgresLedger::events_since(const std::string& since) {
  std::lock_guard lock(mutex_);
  auto r = db().exec("SELECT mac, step, state, at, station, error_code FROM ledger_events WHERE at >= $1 ORDER BY id",
                     {since});
  std::vector<Record> out;
  for (int i = 0; i < r.rows(); ++i) {
    Record e = Record::object();
    e["mac"] = r.text(i, 0);
    e["step"] = r.text(i, 1);
    e["state"] = r.text(i, 2);
    e["at"] = r.text(i, 3);
    e["station"] = r.text(i, 4);
    e["error_code"] = r.text(i, 5);
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<std::string> PostgresLedger::pinned_ca(const std::string& ca_url) {
  std::lock_guard lock(mutex_);
  auto r = db().exec("SELECT ca_cert FROM ledger_ca_pins WHERE ca_url = $1", {ca_url});
  if (r.rows() == 0) return std::nullopt;
  return r.text(0, 0);
}

void PostgresLedger::pin_ca(const std::string& ca_url, const std::string& ca_cert_pem) {
  std::lock_guard lock(mutex_);
  transaction([&] {
    db().exec(
        "INSERT INTO ledger_ca_pins (ca_url, ca_cert, pinned_at) VALUES ($1, $2, $3) ON CONFLICT (ca_url) DO "
        "UPDATE SET ca_cert = excluded.ca_cert, pinned_at = excluded.pinned_at WHERE ledger_ca_pins.ca_cert <> "
        "excluded.ca_cert",
        {ca_url, ca_cert_pem, sqlite::now_rfc3339_ms()});
  });
}

}  // namespace provision
