#include "registry_postgres.hpp"

#include <fmt/format.h>

#include <iostream>

namespace provision::ca::server {
namespace {

using postgres::Connection;
using postgres::Failure;
using postgres::rollback_quietly;

constexpr std::size_t kMaxBatch = 64;
constexpr int kJobAttempts = 3;                   // a job that lost a unique race sees the winner on its second run
constexpr int kBatchAttempts = 5;                 // a batch chosen as a deadlock victim runs again
constexpr long kMigrationLockKey = 0x6573707276;  // "esprv": one server migrates at a time

// Version 1 is the SQLite schema. Version 2 moves the secrets (PSK, PoP hash, a private key the CA made) to
// device_secrets, which no role but the CA's may read: a report reader gets SELECT on devices and events only
// (docs/factory.md).
const std::vector<postgres::Migration>& migrations() {
  static const std::vector<postgres::Migration> all = {
      {1,
       {R"sql(CREATE TABLE devices (
            uuid TEXT PRIMARY KEY,
            mac TEXT NOT NULL UNIQUE,
            chip TEXT NOT NULL,
            psk TEXT NOT NULL,
            pop_sha256 TEXT NOT NULL DEFAULT '',
            certificate TEXT NOT NULL,
            private_key TEXT NOT NULL DEFAULT '',
            serial TEXT NOT NULL UNIQUE,
            expiry TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            device_name TEXT NOT NULL DEFAULT '',
            location TEXT NOT NULL DEFAULT '',
            claimed_at TEXT NOT NULL DEFAULT '',
            seq BIGSERIAL NOT NULL))sql",
        R"sql(CREATE TABLE events (
            id BIGSERIAL PRIMARY KEY,
            uuid TEXT NOT NULL,
            kind TEXT NOT NULL,
            user_id TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''))sql"}},
      {2,
       {R"sql(CREATE TABLE device_secrets (
            uuid TEXT PRIMARY KEY REFERENCES devices(uuid) ON DELETE CASCADE,
            psk TEXT NOT NULL,
            pop_sha256 TEXT NOT NULL DEFAULT '',
            private_key TEXT NOT NULL DEFAULT ''))sql",
        "REVOKE ALL ON device_secrets FROM PUBLIC",
        "INSERT INTO device_secrets (uuid, psk, pop_sha256, private_key) SELECT uuid, psk, pop_sha256, private_key "
        "FROM devices",
        "ALTER TABLE devices DROP COLUMN psk, DROP COLUMN pop_sha256, DROP COLUMN private_key"}},
  };
  return all;
}

// A DeviceRow's columns in its order, from the device and its secrets.
constexpr const char* kSelectRow =
    "SELECT d.uuid, d.mac, d.chip, s.psk, s.pop_sha256, d.certificate, s.private_key, d.serial, d.expiry, "
    "d.created_at, d.updated_at, d.owner, d.device_name, d.location, d.claimed_at FROM devices d JOIN "
    "device_secrets s ON s.uuid = d.uuid";

DeviceRow row_of(const postgres::Result& r, int i) {
  return DeviceRow{r.text(i, 0),  r.text(i, 1),  r.text(i, 2),  r.text(i, 3),  r.text(i, 4),
                   r.text(i, 5),  r.text(i, 6),  r.text(i, 7),  r.text(i, 8),  r.text(i, 9),
                   r.text(i, 10), r.text(i, 11), r.text(i, 12), r.text(i, 13), r.text(i, 14)};
}

// $1..$12 of the devices statements, and $1..$4 of the device_secrets update.
std::vector<std::optional<std::string>> open_values_of(const DeviceRow& row) {
  return {row.uuid,       row.mac,   row.chip,        row.certificate, row.serial,     row.expiry,
          row.created_at, row.owner, row.device_name, row.location,    row.claimed_at, row.updated_at};
}
std::vector<std::optional<std::string>> secret_values_of(const DeviceRow& row) {
  return {row.uuid, row.psk, row.pop_sha256, row.private_key};
}

void migrate(Connection& db) {
  postgres::migrate(db, {"schema_version", kMigrationLockKey, migrations()}, [](int current, int latest) {
    return Error(ErrorCode::io,
                 fmt::format("registry database: schema version {} is newer than this espprov-ca knows ({}); "
                             "upgrade espprov-ca",
                             current, latest),
                 "db");
  });
}

// A job's view: rows read with FOR UPDATE, so a concurrent job on the same device (in this server or another)
// waits for this transaction and then decides from what it committed.
//
// Round trips are what a registration costs here, so the transaction opens late. A job that runs alone starts
// without BEGIN: if its first call is insert_new, that one statement is the whole transaction (committed by the
// server); any other statement first sends BEGIN. In a batch (one BEGIN for many jobs) a job's SAVEPOINT is sent
// before its first statement that can fail on a unique conflict; insert_new cannot (ON CONFLICT DO NOTHING).
class LockingTransaction final : public Transaction {
 public:
  enum class Scope { alone, batch };
  LockingTransaction(Connection& db, Scope scope) : db_(db), scope_(scope), open_(scope == Scope::batch) {}

  // Before each job of a batch: its savepoint is not taken yet.
  void next_job() { savepoint_ = false; }
  bool open() const { return open_; }
  bool savepoint() const { return savepoint_; }

  const DeviceRow* find_uuid(const std::string& uuid) override { return find("uuid", uuid); }
  const DeviceRow* find_mac(const std::string& mac) override { return find("mac", mac); }
  // One statement for both tables: a registration costs no extra round trip for keeping its secrets apart. The
  // foreign key is checked at the statement's end, when the device row exists.
  void insert(const DeviceRow& row) override {
    guard();
    auto values = open_values_of(row);
    values.insert(values.end(), {row.psk, row.pop_sha256, row.private_key});
    db_.exec_prepared(
        "WITH device AS (INSERT INTO devices (uuid, mac, chip, certificate, serial, expiry, created_at, owner, "
        "device_name, location, claimed_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING "
        "uuid) INSERT INTO device_secrets (uuid, psk, pop_sha256, private_key) SELECT uuid, $13, $14, $15 FROM device",
        values);
  }
  // The device, its secrets and its event in one statement; a uuid, MAC or serial already taken (committed, or
  // committed meanwhile by a transaction this one waited for) inserts nothing.
  bool insert_new(const DeviceRow& row, const std::string& kind, const std::string& detail) override {
    auto values = open_values_of(row);
    values.insert(values.end(), {row.psk, row.pop_sha256, row.private_key, kind, now_rfc3339_ms(), detail});
    auto result = db_.exec_prepared(
        "WITH device AS (INSERT INTO devices (uuid, mac, chip, certificate, serial, expiry, created_at, owner, "
        "device_name, location, claimed_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT "
        "DO NOTHING RETURNING uuid), secrets AS (INSERT INTO device_secrets (uuid, psk, pop_sha256, private_key) "
        "SELECT uuid, $13, $14, $15 FROM device), event AS (INSERT INTO events (uuid, kind, user_id, at, detail) "
        "SELECT uuid, $16, '', $17, $18 FROM device) SELECT count(*) FROM device",
        values);
    return result.text(0, 0) == "1";
  }
  void update(const DeviceRow& row) override {
    guard();
    auto result = db_.exec_prepared(
        "UPDATE devices SET mac=$2, chip=$3, certificate=$4, serial=$5, expiry=$6, owner=$8, device_name=$9, "
        "location=$10, claimed_at=$11, updated_at=$12 WHERE uuid=$1 AND created_at=$7",
        open_values_of(row));
    if (result.affected() != 1) {
      throw Error(ErrorCode::internal, fmt::format("registry: no device {} to update", row.uuid), "registry");
    }
    db_.exec_prepared("UPDATE device_secrets SET psk=$2, pop_sha256=$3, private_key=$4 WHERE uuid=$1",
                      secret_values_of(row));
  }
  void event(const std::string& uuid, const std::string& kind, const std::string& user_id,
             const std::string& detail) override {
    guard();
    db_.exec_prepared("INSERT INTO events (uuid, kind, user_id, at, detail) VALUES ($1,$2,$3,$4,$5)",
                      {uuid, kind, user_id, now_rfc3339_ms(), detail});
  }

 private:
  void guard() {
    if (!open_) {
      db_.exec("BEGIN");
      open_ = true;
    } else if (scope_ == Scope::batch && !savepoint_) {
      db_.exec("SAVEPOINT job");
      savepoint_ = true;
    }
  }
  const DeviceRow* find(const char* column, const std::string& value) {
    guard();
    auto result = db_.exec_prepared(fmt::format("{} WHERE d.{} = $1 FOR UPDATE", kSelectRow, column), {value});
    if (result.rows() == 0) return nullptr;
    DeviceRow row = row_of(result, 0);
    auto& slot = seen_[row.uuid];
    slot = std::move(row);
    return &slot;
  }

  Connection& db_;
  Scope scope_;
  bool open_;              // a transaction is open on db_
  bool savepoint_ = false;  // batch: this job's savepoint is taken
  std::unordered_map<std::string, DeviceRow> seen_;
};

}  // namespace

PostgresRegistry::PostgresRegistry(std::string url, int writer_connections) : url_(std::move(url)) {
  {
    auto db = std::make_unique<Connection>(url_, "registry");
    migrate(*db);
    readers_.push_back(std::move(db));
  }
  for (int i = 0; i < writer_connections; ++i) writers_.emplace_back([this] { writer_loop(); });
}

PostgresRegistry::~PostgresRegistry() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_ready_.notify_all();
  for (auto& writer : writers_) writer.join();
}

void PostgresRegistry::note_unavailable(const Error& error) const {
  if (available_.exchange(false)) {
    std::cerr << "espprov-ca: database unavailable: " << error.what()
              << "; answering 503 until it is back (reconnecting on each request)" << std::endl;
  }
}

void PostgresRegistry::note_available() const {
  if (!available_.exchange(true)) std::cerr << "espprov-ca: database reachable again" << std::endl;
}

// Runs `read` on an idle connection (or a new one). A pooled connection the server dropped meanwhile (a database
// restart) is replaced once before the request fails with database_unavailable.
template <typename F>
auto PostgresRegistry::with_reader(F&& read) const {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> db;
    {
      std::lock_guard lock(readers_mutex_);
      if (!readers_.empty()) {
        db = std::move(readers_.back());
        readers_.pop_back();
      }
    }
    const bool pooled = db != nullptr;
    try {
      if (!db) db = std::make_unique<Connection>(url_, "registry");
      auto result = read(*db);
      note_available();
      std::lock_guard lock(readers_mutex_);
      readers_.push_back(std::move(db));
      return result;
    } catch (const Failure& failure) {
      if (failure.code() != ErrorCode::database_unavailable) throw;
      if (pooled && attempt == 0) {  // the database restarted: every idle connection is dead, open a new one
        std::lock_guard lock(readers_mutex_);
        readers_.clear();
        continue;
      }
      note_unavailable(failure);
      throw;
    }
  }
}

std::optional<DeviceRow> PostgresRegistry::find_uuid(const std::string& uuid) const {
  return with_reader([&](Connection& db) -> std::optional<DeviceRow> {
    static const std::string sql = fmt::format("{} WHERE d.uuid = $1", kSelectRow);
    auto result = db.exec_prepared(sql, {uuid});
    if (result.rows() == 0) return std::nullopt;
    return row_of(result, 0);
  });
}

std::optional<DeviceRow> PostgresRegistry::find_mac(const std::string& mac) const {
  return with_reader([&](Connection& db) -> std::optional<DeviceRow> {
    static const std::string sql = fmt::format("{} WHERE d.mac = $1", kSelectRow);
    auto result = db.exec_prepared(sql, {mac});
    if (result.rows() == 0) return std::nullopt;
    return row_of(result, 0);
  });
}

std::size_t PostgresRegistry::size() const {
  return with_reader([](Connection& db) {
    return static_cast<std::size_t>(std::stoull(db.exec("SELECT count(*) FROM devices").text(0, 0)));
  });
}

void PostgresRegistry::submit(Job job, std::function<void(std::exception_ptr)> done) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(Pending{std::move(job), std::move(done)});
  }
  queue_ready_.notify_one();
}

// Several writers, each with its connection, each committing what was queued when it got free: the database
// merges their commits' WAL flushes.
void PostgresRegistry::writer_loop() {
  std::unique_ptr<Connection> db;
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(db, batch);
  }
}

void PostgresRegistry::run_batch(std::unique_ptr<Connection>& db, std::vector<Pending>& batch) {
  std::exception_ptr commit_error;
  for (int attempt = 1;; ++attempt) {
    const bool reused = db != nullptr;
    try {
      if (db && db->broken()) db.reset();
      if (!db) db = std::make_unique<Connection>(url_, "registry");
      if (batch.size() == 1) {
        // A lost race reruns the whole job (and its transaction, if it opened one).
        LockingTransaction transaction(*db, LockingTransaction::Scope::alone);
        batch.front().job(transaction);
        if (transaction.open()) db->exec("COMMIT");
        note_available();
        break;
      }
      db->exec("BEGIN");
      LockingTransaction transaction(*db, LockingTransaction::Scope::batch);
      for (auto& pending : batch) {
        for (int run = 1;; ++run) {
          transaction.next_job();
          try {
            pending.job(transaction);
            if (transaction.savepoint()) db->exec("RELEASE SAVEPOINT job");
            break;
          } catch (const Failure& failure) {
            // Another server committed the same uuid, mac or serial. Only a statement after the savepoint can
            // fail that way (insert_new cannot), so the savepoint is there to return to.
            if (!failure.unique_violation() || run == kJobAttempts || !transaction.savepoint()) throw;
            db->exec("ROLLBACK TO SAVEPOINT job");
          }
        }
      }
      db->exec("COMMIT");
      note_available();
      break;
    } catch (const Failure& failure) {
      if (db && !db->broken()) rollback_quietly(*db);
      if ((failure.must_retry() || failure.unique_violation()) && attempt < kBatchAttempts) continue;
      if (failure.code() == ErrorCode::database_unavailable) {
        db.reset();
        // A connection kept from before a database restart fails on first use: once more on a new one. Safe even
        // after a cut COMMIT: the jobs run again, find their rows committed, and answer as for a repeat.
        if (reused && attempt == 1) continue;
        note_unavailable(failure);
      }
      commit_error = std::current_exception();
      break;
    } catch (...) {
      if (db && !db->broken()) rollback_quietly(*db);
      commit_error = std::current_exception();
      break;
    }
  }
  for (auto& pending : batch) pending.done(commit_error);
}

std::vector<DeviceRow> PostgresRegistry::read_all(const std::string& url) {
  Connection db(url, "registry");
  migrate(db);
  static const std::string sql = fmt::format("{} ORDER BY d.seq", kSelectRow);
  auto result = db.exec(sql.c_str());
  std::vector<DeviceRow> rows;
  rows.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) rows.push_back(row_of(result, i));
  return rows;
}

}  // namespace provision::ca::server
