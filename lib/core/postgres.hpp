// The small part of libpq the CA registry and the shared ledger use: a connection that says when the database is
// away (ErrorCode::database_unavailable) and results that free themselves. Private to libprovision and the CA.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "provision/error.hpp"

struct pg_conn;
struct pg_result;

namespace provision::postgres {

// True for "postgresql://..." and "postgres://..." (libpq's URI forms); a "sqlite:PATH" or a file path is not.
bool is_postgres_url(std::string_view text);

// A failed statement: the SQLSTATE tells a unique violation ("23505") or a deadlock ("40P01") from the rest.
// The code is database_unavailable when the server cannot be reached (connection lost, shutting down).
class Failure : public Error {
 public:
  Failure(ErrorCode code, std::string message, std::string field, std::string sqlstate)
      : Error(code, std::move(message), std::move(field)), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  bool unique_violation() const noexcept { return sqlstate_ == "23505"; }
  bool must_retry() const noexcept { return sqlstate_ == "40P01" || sqlstate_ == "40001"; }

 private:
  std::string sqlstate_;
};

class Result {
 public:
  explicit Result(pg_result* result) : result_(result) {}
  ~Result();
  Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Result& operator=(Result&&) = delete;
  Result(const Result&) = delete;
  int rows() const;
  int affected() const;                         // rows an INSERT, UPDATE or DELETE touched
  std::string text(int row, int column) const;  // "" for NULL
  bool is_null(int row, int column) const;

 private:
  pg_result* result_;
};

// One connection. `owner` names the database in errors ("registry", "ledger"); messages never carry the
// connection string (it may hold a password).
class Connection {
 public:
  Connection(const std::string& conninfo, const char* owner);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with text parameters ($1, $2, ...; std::nullopt is NULL). Throws Failure.
  Result exec(const char* sql, const std::vector<std::optional<std::string>>& params = {});
  Result exec(const char* sql, std::initializer_list<std::string> params);
  // Like exec, through a statement the server parses and plans once per connection (for the statements a busy
  // server runs for every request). `sql` must be one of a fixed set: each distinct text is kept.
  Result exec_prepared(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  Result exec_prepared(const std::string& sql, std::initializer_list<std::string> params);
  bool broken() const;  // the connection is lost: open a new one

 private:
  Result checked(pg_result* raw);

  pg_conn* conn_ = nullptr;
  const char* owner_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name on this connection
};

// Versioned schema changes, the CA registry's and the ledger's alike. One statement per entry (libpq's extended
// protocol runs one statement per call).
struct Migration {
  int version;
  std::vector<const char*> statements;
};
struct Schema {
  const char* version_table;  // "schema_version", "ledger_schema_version": one row per applied migration
  long lock_key;              // advisory lock: one process migrates at a time, the others then find it done
  const std::vector<Migration>& migrations;  // ascending versions
};
// Applies the migrations `db` has not had, in one transaction. A database at a version newer than the last
// migration throws too_new(current, latest): an older program must not write to a newer schema.
void migrate(Connection& db, const Schema& schema, const std::function<Error(int current, int latest)>& too_new);

// ROLLBACK on a connection that may already be lost: a failure here changes nothing the caller reports.
void rollback_quietly(Connection& db);

}  // namespace provision::postgres
