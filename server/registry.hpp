// The reference CA's registry. The default is SQLite in WAL mode with synchronous=FULL, so a registration is on
// disk before its answer leaves. Writes run on one writer thread that commits everything queued at once (group
// commit): one fsync serves every request that arrived meanwhile. An in-memory copy answers lookups without touching
// the disk. PostgreSQL (registry_postgres.cpp) serves several servers sharing one database: there the database's
// constraints and row locks decide every race, and no server keeps a copy.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

struct sqlite3;

namespace provision::ca::server {

struct DeviceRow {
  std::string uuid, mac, chip, psk, pop_sha256;
  std::string certificate, private_key, serial, expiry;
  std::string created_at, updated_at;
  std::string owner, device_name, location, claimed_at;  // claiming; owner "" = unclaimed
};

// What a job sees inside one group transaction: rows committed so far plus those written earlier in this batch.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual const DeviceRow* find_uuid(const std::string& uuid) = 0;
  virtual const DeviceRow* find_mac(const std::string& mac) = 0;
  // Plain INSERT and UPDATE: a unique conflict fails the batch instead of silently replacing a row.
  virtual void insert(const DeviceRow& row) = 0;
  virtual void update(const DeviceRow& row) = 0;  // the row with row.uuid, which must exist
  virtual void event(const std::string& uuid, const std::string& kind, const std::string& user_id,
                     const std::string& detail) = 0;
  // A new device and its event, unless its uuid or MAC is taken: then false and nothing written. The common case
  // of a registration in one call: PostgreSQL does it in one statement, and as the first statement of a job that
  // runs alone, without a transaction of its own around it.
  virtual bool insert_new(const DeviceRow& row, const std::string& kind, const std::string& detail) {
    if (find_uuid(row.uuid) || find_mac(row.mac)) return false;
    insert(row);
    event(row.uuid, kind, "", detail);
    return true;
  }
};

// The registry a server answers from. A job may run more than once (the PostgreSQL registry reruns it after a
// deadlock or a unique conflict with another server), so it sets every output it has on each run.
class Registry {
 public:
  virtual ~Registry() = default;
  virtual std::optional<DeviceRow> find_uuid(const std::string& uuid) const = 0;
  virtual std::optional<DeviceRow> find_mac(const std::string& mac) const = 0;
  virtual std::size_t size() const = 0;

  // Runs `job` inside the next transaction; `done` is called after the commit (with the commit's exception, if
  // any). A job throws only on a database failure; that fails its whole batch.
  using Job = std::function<void(Transaction&)>;
  virtual void submit(Job job, std::function<void(std::exception_ptr)> done) = 0;
};

// Where the registry lives: a SQLite file (the default, DIR/registry.db) or a PostgreSQL database shared by
// several servers. `--db postgresql://...`, `--db sqlite:PATH`.
struct RegistryLocation {
  std::filesystem::path sqlite_path;  // used when postgres_url is empty
  std::string postgres_url;
  std::string describe() const;  // for messages: the path, or the URL without its password
};
// Parses --db (empty: DIR/registry.db). Throws Error(usage) naming "db" for anything else.
RegistryLocation registry_location(const std::string& db, const std::filesystem::path& dir);
// Opens (creating and migrating the schema when needed) the registry. A PostgreSQL database that cannot be
// reached throws Error(database_unavailable).
std::unique_ptr<Registry> open_registry(const RegistryLocation& location);
// Rows in insertion order, for list/export.
std::vector<DeviceRow> read_registry(const RegistryLocation& location);

class SqliteRegistry final : public Registry {
 public:
  // Creates it 0600 and locks it for this process: a second server on the same registry would keep its own
  // copy of the rows and decide conflicts from it. Throws Error(io), naming the lock when another holds it.
  explicit SqliteRegistry(const std::filesystem::path& path);
  ~SqliteRegistry() override;
  SqliteRegistry(const SqliteRegistry&) = delete;
  SqliteRegistry& operator=(const SqliteRegistry&) = delete;

  std::optional<DeviceRow> find_uuid(const std::string& uuid) const override;
  std::optional<DeviceRow> find_mac(const std::string& mac) const override;
  std::size_t size() const override;
  void submit(Job job, std::function<void(std::exception_ptr)> done) override;

  // Rows in insertion order, for list/export (read straight from the file).
  static std::vector<DeviceRow> read_all(const std::filesystem::path& path);

 private:
  struct Pending {
    Job job;
    std::function<void(std::exception_ptr)> done;
  };
  void writer_loop();
  void run_batch(std::vector<Pending>& batch);

  int lock_fd_ = -1;  // flock()ed for the Registry's life (SQLite's own locks are fcntl locks: independent)
  sqlite3* db_ = nullptr;
  mutable std::shared_mutex cache_mutex_;
  std::unordered_map<std::string, DeviceRow> by_uuid_;
  std::unordered_map<std::string, std::string> uuid_by_mac_;
  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
  friend class BatchTransaction;
};

std::string now_rfc3339_ms();

}  // namespace provision::ca::server
