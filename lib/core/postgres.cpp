#include "core/postgres.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

namespace provision::postgres {
namespace {

// Class 08 (connection exception), 57P01..57P03 (the server shuts down or is starting): the database is away.
bool away(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\t') c = ' ';
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

}  // namespace

bool is_postgres_url(std::string_view text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

Result::~Result() {
  PQclear(result_);
}
int Result::rows() const {
  return PQntuples(result_);
}
int Result::affected() const {
  const char* n = PQcmdTuples(result_);
  return n && *n ? std::atoi(n) : 0;
}
std::string Result::text(int row, int column) const {
  if (PQgetisnull(result_, row, column)) return {};
  return std::string(PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column)));
}
bool Result::is_null(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

Connection::Connection(const std::string& conninfo, const char* owner) : owner_(owner) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string why = conn_ ? one_line(PQerrorMessage(conn_)) : "out of memory";
    PQfinish(conn_);
    conn_ = nullptr;
    throw Failure(ErrorCode::database_unavailable, fmt::format("{} database: cannot connect: {}", owner_, why), owner_,
                  "08001");
  }
  // Notices (e.g. "relation already exists, skipping") are not for the user.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
  PQfinish(conn_);
}

bool Connection::broken() const {
  return PQstatus(conn_) != CONNECTION_OK;
}

Result Connection::exec(const char* sql, std::initializer_list<std::string> params) {
  std::vector<std::optional<std::string>> values(params.begin(), params.end());
  return exec(sql, values);
}

namespace {
std::vector<const char*> c_strings(const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}
}  // namespace

Result Connection::exec(const char* sql, const std::vector<std::optional<std::string>>& params) {
  const auto values = c_strings(params);
  return checked(
      PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
}

Result Connection::exec_prepared(const std::string& sql, std::initializer_list<std::string> params) {
  std::vector<std::optional<std::string>> values(params.begin(), params.end());
  return exec_prepared(sql, values);
}

Result Connection::exec_prepared(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    std::string name = fmt::format("espprov_{}", prepared_.size());
    checked(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr));
    found = prepared_.emplace(sql, std::move(name)).first;
  }
  const auto values = c_strings(params);
  return checked(PQexecPrepared(conn_, found->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                nullptr, 0));
}

Result Connection::checked(PGresult* raw) {
  Result result(raw);
  const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  const bool lost = broken() || away(sqlstate);
  if (lost && sqlstate.empty()) sqlstate = "08006";
  std::string why = one_line(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_));
  if (why.empty()) why = one_line(PQerrorMessage(conn_));
  throw Failure(lost ? ErrorCode::database_unavailable : ErrorCode::io,
                fmt::format("{} database: {}{}", owner_, why, lost ? " (connection lost)" : ""), owner_, sqlstate);
}

void rollback_quietly(Connection& db) {
  try {
    db.exec("ROLLBACK");
  } catch (const Error&) {
  }
}

void migrate(Connection& db, const Schema& schema, const std::function<Error(int current, int latest)>& too_new) {
  db.exec("BEGIN");
  try {
    db.exec(fmt::format("SELECT pg_advisory_xact_lock({})", schema.lock_key).c_str());
    db.exec(fmt::format("CREATE TABLE IF NOT EXISTS {} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT "
                        "NULL DEFAULT now())",
                        schema.version_table)
                .c_str());
    const int current = std::stoi(
        db.exec(fmt::format("SELECT coalesce(max(version), 0) FROM {}", schema.version_table).c_str()).text(0, 0));
    const int latest = schema.migrations.back().version;
    if (current > latest) throw too_new(current, latest);
    const std::string record_version = fmt::format("INSERT INTO {} (version) VALUES ($1)", schema.version_table);
    for (const auto& migration : schema.migrations) {
      if (migration.version <= current) continue;
      for (const char* statement : migration.statements) db.exec(statement);
      db.exec(record_version.c_str(), {std::to_string(migration.version)});
    }
    db.exec("COMMIT");
  } catch (...) {
    rollback_quietly(db);
    throw;
  }
}

}  // namespace provision::postgres
