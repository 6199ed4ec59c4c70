// The CA registry on PostgreSQL: several `espprov-ca serve` on one database are one CA. No server keeps a copy of
// the rows; the database decides every race: a unique constraint on uuid, mac and serial, and row locks
// (SELECT ... FOR UPDATE) taken by a job before it decides. A job that loses a race on a unique column is rolled
// back to its savepoint and run again, and then sees the winner's row (a repeat answers 200, anything else 409).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/postgres.hpp"
#include "registry.hpp"

namespace provision::ca::server {

class PostgresRegistry final : public Registry {
 public:
  // Connects, and creates or migrates the schema (versioned: schema_version). Throws Error(database_unavailable)
  // when the database cannot be reached, Error(io) for a schema newer than this program.
  explicit PostgresRegistry(std::string url, int writer_connections = 4);
  ~PostgresRegistry() override;
  PostgresRegistry(const PostgresRegistry&) = delete;
  PostgresRegistry& operator=(const PostgresRegistry&) = delete;

  std::optional<DeviceRow> find_uuid(const std::string& uuid) const override;
  std::optional<DeviceRow> find_mac(const std::string& mac) const override;
  std::size_t size() const override;
  void submit(Job job, std::function<void(std::exception_ptr)> done) override;

  static std::vector<DeviceRow> read_all(const std::string& url);

 private:
  struct Pending {
    Job job;
    std::function<void(std::exception_ptr)> done;
  };
  template <typename F>
  auto with_reader(F&& read) const;
  void writer_loop();
  void run_batch(std::unique_ptr<postgres::Connection>& connection, std::vector<Pending>& batch);
  void note_unavailable(const Error& error) const;  // one log line when the database goes away
  void note_available() const;                      // and one when it is back

  std::string url_;
  mutable std::mutex readers_mutex_;
  mutable std::vector<std::unique_ptr<postgres::Connection>> readers_;  // idle connections for lookups
  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::vector<std::thread> writers_;
  mutable std::atomic<bool> available_{true};
};

}  // namespace provision::ca::server
