// The reference CA's registry: SQLite in WAL mode with synchronous=FULL, so a registration is on disk before its
// answer leaves. Writes run on one writer thread that commits everything queued at once (group commit): one fsync
// serves every request that arrived meanwhile. An in-memory copy answers lookups without touching the disk.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
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
};

class Registry {
 public:
  // Creates it 0600 and locks it for this process: a second server on the same registry would keep its own
  // copy of the rows and decide conflicts from it. Throws Error(io), naming the lock when another holds it.
  explicit Registry(const std::filesystem::path& path);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  std::optional<DeviceRow> find_uuid(const std::string& uuid) const;
  std::optional<DeviceRow> find_mac(const std::string& mac) const;
  std::size_t size() const;

  // Runs `job` on the writer thread inside the next transaction; `done` is called after the commit (with the
  // commit's exception, if any). A job throws only on a database failure; that fails its whole batch.
  using Job = std::function<void(Transaction&)>;
  void submit(Job job, std::function<void(std::exception_ptr)> done);

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
