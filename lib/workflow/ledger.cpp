#include "provision/ledger.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fmt/format.h>

#include "core/postgres.hpp"
#include "core/sqlite.hpp"
#include "workflow/ledger_postgres.hpp"

namespace provision {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS devices (
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
  record TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  mac TEXT NOT NULL,
  step TEXT NOT NULL,
  state TEXT NOT NULL,
  at TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_by_mac ON events(mac, id);
)sql";

constexpr sqlite::Owner kOwner{ErrorCode::ledger, "ledger"};

// A prepared statement of the ledger: errors are ErrorCode::ledger.
struct Statement : sqlite::Statement {
  Statement(sqlite3* db, const char* sql) : sqlite::Statement(db, sql, kOwner) {}
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if anything throws. Inside Ledger::batch() the same change is a
// SAVEPOINT of the batch's transaction: it still applies whole or not at all, and the batch commits (one fsync)
// for every change in it.
class Transaction {
 public:
  Transaction(sqlite3* db, bool nested) : db_(db), nested_(nested) {
    run(nested_ ? "SAVEPOINT step" : "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    if (done_) return;
    if (nested_) {
      sqlite3_exec(db_, "ROLLBACK TO step", nullptr, nullptr, nullptr);
      sqlite3_exec(db_, "RELEASE step", nullptr, nullptr, nullptr);
    } else {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  void commit() {
    run(nested_ ? "RELEASE step" : "COMMIT");
    done_ = true;
  }

 private:
  void run(const char* sql) { sqlite::exec(db_, sql, kOwner); }
  sqlite3* db_;
  bool nested_;
  bool done_ = false;
};

constexpr const char* kSelect =
    "SELECT mac, uuid, chip, step, status, error_code, error_message, created_at, updated_at, attempts, record "
    "FROM devices";

LedgerEntry read_entry(Statement& s) {
  LedgerEntry e;
  e.mac = s.text(0);
  e.uuid = s.text(1);
  e.chip = s.text(2);
  e.step = s.text(3);
  e.status = s.text(4);
  e.error_code = s.text(5);
  e.error_message = s.text(6);
  e.created_at = s.text(7);
  e.updated_at = s.text(8);
  e.attempts = s.integer(9);
  e.record = Record::parse(s.text(10), nullptr, false);
  if (e.record.is_discarded()) e.record = Record::object();
  return e;
}

void insert_event(sqlite3* db, const std::string& mac, const std::string& step, const std::string& state,
                  const std::string& at, const std::string& message, const std::string& station,
                  const std::string& error_code = {}) {
  Statement s(db,
              "INSERT INTO events(mac, step, state, at, message, station, error_code) VALUES (?1, ?2, ?3, ?4, ?5, "
              "?6, ?7)");
  s.bind(1, mac).bind(2, step).bind(3, state).bind(4, at).bind(5, message).bind(6, station).bind(7, error_code);
  s.step();
}

// Ledgers before version 1 have no station or error code per event.
void migrate_sqlite(sqlite3* db) {
  Statement version(db, "PRAGMA user_version");
  const int current = version.step() ? version.integer(0) : 0;
  if (current >= 1) return;
  sqlite::exec(db,
               "BEGIN IMMEDIATE; ALTER TABLE events ADD COLUMN station TEXT NOT NULL DEFAULT ''; "
               "ALTER TABLE events ADD COLUMN error_code TEXT NOT NULL DEFAULT ''; PRAGMA user_version = 1; COMMIT;",
               kOwner);
}

// A masked URL for messages: the password never reaches a log or a record.
std::string shown_url(std::string url) {
  auto scheme = url.find("://");
  auto at = url.find('@', scheme + 3);
  auto colon = url.find(':', scheme + 3);
  if (at != std::string::npos && colon != std::string::npos && colon < at) url.replace(colon + 1, at - colon - 1, "***");
  return url;
}

std::string field(const Record& record, const char* name) {
  return record.contains(name) && record[name].is_string() ? record[name].get<std::string>() : "";
}

}  // namespace

std::filesystem::path Ledger::default_path() {
  if (const char* env = std::getenv("ESPPROV_LEDGER"); env && *env) return env;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    return std::filesystem::path(state) / "espprov" / "ledger.db";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : ".") / ".local" / "state" / "espprov" / "ledger.db";
}

std::string Ledger::default_station() {
  if (const char* env = std::getenv("ESPPROV_STATION"); env && *env) return env;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0]) return host;
  return "station";
}

Ledger::Ledger(const std::filesystem::path& path, std::string station) : path_(path), station_(std::move(station)) {
  if (postgres::is_postgres_url(path.string())) {
    path_ = shown_url(path.string());
    shared_ = std::make_unique<PostgresLedger>(path.string());
    return;
  }
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  // Create the file 0600 ourselves: SQLite would use the umask, and the ledger holds secrets. Its -wal and -shm
  // files take the database file's permissions.
  file_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (file_fd_ < 0) {
    throw Error(ErrorCode::ledger, fmt::format("ledger: cannot create {}; pass --ledger FILE in a writable folder",
                                               path.string()),
                "ledger");
  }
  ::fchmod(file_fd_, 0600);
  // Processes opening a new ledger at the same moment would race to switch it to WAL and create the schema;
  // SQLite answers some of those races "database is locked" without waiting. One opener at a time does it.
  ::flock(file_fd_, LOCK_EX);
  try {
    open_and_prepare();
  } catch (...) {
    ::flock(file_fd_, LOCK_UN);
    ::close(file_fd_);
    throw;
  }
  ::flock(file_fd_, LOCK_UN);
}

void Ledger::open_and_prepare() {
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCode::ledger, fmt::format("ledger: cannot open {}: {}", path_.string(), msg), "ledger");
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");  // a step acknowledged is on disk, even if espprov is killed next
    exec(kSchema);
    migrate_sqlite(db_);
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Ledger::~Ledger() {
  sqlite3_close(db_);
  if (file_fd_ >= 0) ::close(file_fd_);
}

void Ledger::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    throw Error(ErrorCode::ledger,
                fmt::format("ledger {}: {} (is it an espprov ledger, and not open elsewhere?)", path_.string(), msg),
                "ledger");
  }
}

std::optional<LedgerEntry> Ledger::find(const std::string& mac) {
  if (shared_) return shared_->find(mac);
  Statement s(db_, (std::string(kSelect) + " WHERE mac = ?1").c_str());
  s.bind(1, mac);
  if (!s.step()) return std::nullopt;
  return read_entry(s);
}

std::vector<LedgerEntry> Ledger::list() {
  if (shared_) return shared_->list();
  Statement s(db_, (std::string(kSelect) + " ORDER BY created_at, mac").c_str());
  std::vector<LedgerEntry> out;
  while (s.step()) out.push_back(read_entry(s));
  return out;
}

LedgerEntry Ledger::begin(const std::string& mac, const std::string& port) {
  if (shared_) return shared_->begin(mac, port, station_);
  const std::string now = sqlite::now_rfc3339_ms();
  Transaction tx(db_, batching_);
  {
    Statement s(db_,
                "INSERT INTO devices(mac, created_at, updated_at, attempts, status) VALUES (?1, ?2, ?2, 1, "
                "'in_progress') ON CONFLICT(mac) DO UPDATE SET attempts = attempts + 1, status = 'in_progress', "
                "error_code = '', error_message = '', updated_at = ?2");
    s.bind(1, mac).bind(2, now);
    s.step();
  }
  insert_event(db_, mac, "begin", "started", now, port.empty() ? "" : "port " + port, station_);
  tx.commit();
  return *find(mac);
}

void Ledger::complete_step(const std::string& mac, const std::string& step, const Record& record) {
  if (shared_) return shared_->complete_step(mac, step, record, station_);
  const std::string now = sqlite::now_rfc3339_ms();
  Transaction tx(db_, batching_);
  {
    Statement s(db_,
                "UPDATE devices SET step = ?2, uuid = ?3, chip = ?4, record = ?5, updated_at = ?6 WHERE mac = ?1");
    s.bind(1, mac).bind(2, step).bind(3, field(record, "uuid")).bind(4, field(record, "chip"));
    s.bind(5, to_json_text(record)).bind(6, now);
    s.step();
  }
  insert_event(db_, mac, step, "done", now, "", station_);
  tx.commit();
}

void Ledger::fail_step(const std::string& mac, const std::string& step, const Error& error) {
  if (shared_) return shared_->fail_step(mac, step, error, station_);
  const std::string now = sqlite::now_rfc3339_ms();
  Transaction tx(db_, batching_);
  {
    Statement s(db_,
                "UPDATE devices SET status = 'failed', error_code = ?2, error_message = ?3, updated_at = ?4 "
                "WHERE mac = ?1");
    s.bind(1, mac).bind(2, std::string(error_name(error.code()))).bind(3, error.what()).bind(4, now);
    s.step();
  }
  insert_event(db_, mac, step, "failed", now, error.what(), station_, std::string(error_name(error.code())));
  tx.commit();
}

void Ledger::finish(const std::string& mac, const Record& record) {
  if (shared_) return shared_->finish(mac, record, station_);
  const std::string now = sqlite::now_rfc3339_ms();
  Transaction tx(db_, batching_);
  {
    Statement s(db_,
                "UPDATE devices SET status = 'done', step = 'verified', uuid = ?2, chip = ?3, record = ?4, "
                "error_code = '', error_message = '', updated_at = ?5 WHERE mac = ?1");
    s.bind(1, mac).bind(2, field(record, "uuid")).bind(3, field(record, "chip")).bind(4, to_json_text(record));
    s.bind(5, now);
    s.step();
  }
  insert_event(db_, mac, "verified", "done", now, "", station_);
  tx.commit();
}

void Ledger::batch(const std::function<void()>& body) {
  if (shared_) return shared_->batch(body);
  if (batching_) {
    body();
    return;
  }
  exec("BEGIN IMMEDIATE");
  batching_ = true;
  try {
    body();
  } catch (...) {
    batching_ = false;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  batching_ = false;
  exec("COMMIT");
}

void Ledger::forget(const std::string& mac) {
  if (shared_) return shared_->forget(mac);
  Transaction tx(db_, batching_);
  {
    Statement s(db_, "DELETE FROM devices WHERE mac = ?1");
    s.bind(1, mac);
    s.step();
  }
  {
    Statement s(db_, "DELETE FROM events WHERE mac = ?1");
    s.bind(1, mac);
    s.step();
  }
  tx.commit();
}

std::vector<Record> Ledger::events(const std::string& mac) {
  if (shared_) return shared_->events(mac);
  Statement s(db_, "SELECT step, state, at, station, message FROM events WHERE mac = ?1 ORDER BY id");
  s.bind(1, mac);
  std::vector<Record> out;
  while (s.step()) {
    Record e = Record::object();
    e["step"] = s.text(0);
    e["state"] = s.text(1);
    e["at"] = s.text(2);
    e["station"] = s.text(3);
    e["message"] = s.text(4);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Record> Ledger::events_since(const std::string& since) {
  if (shared_) return shared_->events_since(since);
  Statement s(db_, "SELECT mac, step, state, at, station, error_code FROM events WHERE at >= ?1 ORDER BY id");
  s.bind(1, since);
  std::vector<Record> out;
  while (s.step()) {
    Record e = Record::object();
    e["mac"] = s.text(0);
    e["step"] = s.text(1);
    e["state"] = s.text(2);
    e["at"] = s.text(3);
    e["station"] = s.text(4);
    e["error_code"] = s.text(5);
    out.push_back(std::move(e));
  }
  return out;
}

Record ledger_row(const LedgerEntry& entry, bool include_secrets) {
  Record row = Record::object();
  row["mac"] = entry.mac;
  row["uuid"] = entry.uuid;
  row["chip"] = entry.chip;
  row["status"] = entry.status;
  row["step"] = entry.step;
  row["attempts"] = entry.attempts;
  row["created_at"] = entry.created_at;
  row["updated_at"] = entry.updated_at;
  if (!entry.error_code.empty()) {
    row["error_code"] = entry.error_code;
    row["error_message"] = entry.error_message;
  }
  for (const auto& [key, value] : entry.record.items()) {
    if (row.contains(key) || key == "ok" || key == "error") continue;
    if (is_secret_field(key) && !include_secrets) continue;
    row[key] = value;
  }
  return row;
}

}  // namespace provision
