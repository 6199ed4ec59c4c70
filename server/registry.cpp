#include "registry.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <fmt/format.h>

#include "core/sqlite.hpp"
#include "provision/error.hpp"

namespace provision::ca::server {
namespace {

constexpr std::size_t kMaxBatch = 512;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS devices (
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
  claimed_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid TEXT NOT NULL,
  kind TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  at TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT OR IGNORE INTO schema_version (version, applied_at) VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
)sql";

constexpr const char* kColumns =
    "uuid, mac, chip, psk, pop_sha256, certificate, private_key, serial, expiry, created_at, updated_at, owner, "
    "device_name, location, claimed_at";

constexpr sqlite::Owner kOwner{ErrorCode::io, "registry"};

void exec(sqlite3* db, const char* sql) { sqlite::exec(db, sql, kOwner); }

// A prepared statement of the registry: errors are ErrorCode::io naming "registry".
struct Statement : sqlite::Statement {
  Statement(sqlite3* db, const char* sql) : sqlite::Statement(db, sql, kOwner) {}
};

DeviceRow row_of(Statement& s) {
  return DeviceRow{s.text(0), s.text(1),  s.text(2),  s.text(3),  s.text(4),  s.text(5),  s.text(6), s.text(7),
                   s.text(8), s.text(9), s.text(10), s.text(11), s.text(12), s.text(13), s.text(14)};
}

std::vector<DeviceRow> select_all(sqlite3* db) {
  Statement select(db, fmt::format("SELECT {} FROM devices ORDER BY rowid", kColumns).c_str());
  std::vector<DeviceRow> rows;
  while (select.step()) rows.push_back(row_of(select));
  return rows;
}

sqlite3* open_db(const std::filesystem::path& path, int flags) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw Error(ErrorCode::io, fmt::format("registry {}: {}; run espprov-ca init first", path.string(), why),
                "registry");
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

}  // namespace

std::string now_rfc3339_ms() { return sqlite::now_rfc3339_ms(); }

// The rows a batch has written, seen by later jobs of the same batch; merged into the cache after the commit.
class BatchTransaction final : public Transaction {
 public:
  BatchTransaction(SqliteRegistry& registry, Statement& insert, Statement& update, Statement& event)
      : registry_(registry), insert_(insert), update_(update), event_(event) {}
  const DeviceRow* find_uuid(const std::string& uuid) override {
    if (auto it = written_.find(uuid); it != written_.end()) return &it->second;
    if (auto it = registry_.by_uuid_.find(uuid); it != registry_.by_uuid_.end()) return &it->second;
    return nullptr;
  }
  const DeviceRow* find_mac(const std::string& mac) override {
    for (auto& [uuid, row] : written_) {
      if (row.mac == mac) return &row;
    }
    auto it = registry_.uuid_by_mac_.find(mac);
    return it == registry_.uuid_by_mac_.end() ? nullptr : find_uuid(it->second);
  }
  void insert(const DeviceRow& row) override { write(insert_, row); }
  void update(const DeviceRow& row) override {
    write(update_, row);
    if (sqlite3_changes(registry_.db_) != 1) {
      throw Error(ErrorCode::internal, fmt::format("registry: no device {} to update", row.uuid), "registry");
    }
  }
  void event(const std::string& uuid, const std::string& kind, const std::string& user_id,
             const std::string& detail) override {
    event_.bind(1, uuid);
    event_.bind(2, kind);
    event_.bind(3, user_id);
    event_.bind(4, now_rfc3339_ms());
    event_.bind(5, detail);
    event_.step();
    event_.reset();
  }
  std::unordered_map<std::string, DeviceRow>& written() { return written_; }

 private:
  // Binds the 15 columns in kColumns order (the UPDATE's WHERE uses ?1, the uuid).
  void write(Statement& statement, const DeviceRow& row) {
    const std::string* fields[] = {&row.uuid,        &row.mac,        &row.chip,       &row.psk,    &row.pop_sha256,
                                   &row.certificate, &row.private_key, &row.serial,     &row.expiry, &row.created_at,
                                   &row.updated_at,  &row.owner,      &row.device_name, &row.location,
                                   &row.claimed_at};
    for (int i = 0; i < 15; ++i) statement.bind(i + 1, *fields[i]);
    statement.step();
    statement.reset();
    written_[row.uuid] = row;
  }

  SqliteRegistry& registry_;
  Statement& insert_;
  Statement& update_;
  Statement& event_;
  std::unordered_map<std::string, DeviceRow> written_;
};

SqliteRegistry::SqliteRegistry(const std::filesystem::path& path) {
  // Created 0600 before SQLite opens it: the WAL and shared-memory files then take the same mode.
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) {
    throw Error(ErrorCode::io, fmt::format("registry {}: {}", path.string(), std::strerror(errno)), "registry");
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(lock_fd_);
    throw Error(ErrorCode::io,
                fmt::format("registry {} is locked: {}; another espprov-ca serve uses this --dir. Stop it first, or "
                            "serve another CA folder",
                            path.string(), error == EWOULDBLOCK ? "held by another process" : std::strerror(error)),
                "registry");
  }
  try {
    db_ = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    exec(db_, kSchema);
    for (auto& row : select_all(db_)) {
      uuid_by_mac_[row.mac] = row.uuid;
      by_uuid_[row.uuid] = std::move(row);
    }
  } catch (...) {
    sqlite3_close(db_);
    ::close(lock_fd_);
    throw;
  }
  writer_ = std::thread([this] { writer_loop(); });
}

SqliteRegistry::~SqliteRegistry() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_ready_.notify_all();
  if (writer_.joinable()) writer_.join();
  sqlite3_close(db_);
  ::close(lock_fd_);  // releases the lock
}

std::optional<DeviceRow> SqliteRegistry::find_uuid(const std::string& uuid) const {
  std::shared_lock lock(cache_mutex_);
  auto it = by_uuid_.find(uuid);
  if (it == by_uuid_.end()) return std::nullopt;
  return it->second;
}

std::optional<DeviceRow> SqliteRegistry::find_mac(const std::string& mac) const {
  std::shared_lock lock(cache_mutex_);
  auto it = uuid_by_mac_.find(mac);
  if (it == uuid_by_mac_.end()) return std::nullopt;
  return by_uuid_.at(it->second);
}

std::size_t SqliteRegistry::size() const {
  std::shared_lock lock(cache_mutex_);
  return by_uuid_.size();
}

void SqliteRegistry::submit(Job job, std::function<void(std::exception_ptr)> done) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(Pending{std::move(job), std::move(done)});
  }
  queue_ready_.notify_one();
}

void SqliteRegistry::writer_loop() {
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has been committed
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
  }
}

void SqliteRegistry::run_batch(std::vector<Pending>& batch) {
  std::exception_ptr commit_error;
  try {
    static const std::string insert_sql =
        fmt::format("INSERT INTO devices ({}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)", kColumns);
    // uuid and created_at never change; every other column is written as the job decided.
    static const std::string update_sql =
        "UPDATE devices SET mac=?2, chip=?3, psk=?4, pop_sha256=?5, certificate=?6, private_key=?7, serial=?8, "
        "expiry=?9, updated_at=?11, owner=?12, device_name=?13, location=?14, claimed_at=?15 WHERE uuid=?1 "
        "AND created_at=?10";
    Statement insert(db_, insert_sql.c_str());
    Statement update(db_, update_sql.c_str());
    Statement event(db_, "INSERT INTO events (uuid, kind, user_id, at, detail) VALUES (?,?,?,?,?)");
    exec(db_, "BEGIN IMMEDIATE");
    BatchTransaction transaction(*this, insert, update, event);
    {
      std::shared_lock lock(cache_mutex_);  // only this thread writes the cache; readers may share it
      // Jobs decide outcomes in their own state and only throw on a database failure, which fails the batch.
      for (auto& pending : batch) pending.job(transaction);
    }
    exec(db_, "COMMIT");
    std::unique_lock lock(cache_mutex_);
    for (auto& [uuid, row] : transaction.written()) {
      uuid_by_mac_[row.mac] = uuid;
      by_uuid_[uuid] = std::move(row);
    }
  } catch (...) {
    commit_error = std::current_exception();
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  for (auto& pending : batch) pending.done(commit_error);
}

std::vector<DeviceRow> SqliteRegistry::read_all(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    throw Error(ErrorCode::io, fmt::format("no registry at {}; run espprov-ca init DIR first", path.string()),
                "dir");
  }
  sqlite3* db = open_db(path, SQLITE_OPEN_READONLY);
  try {
    auto rows = select_all(db);
    sqlite3_close(db);
    return rows;
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
}

}  // namespace provision::ca::server
