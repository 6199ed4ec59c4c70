#include "core/sqlite.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <utility>

namespace provision::sqlite {

void fail(sqlite3* db, const Owner& owner, std::string_view doing) {
  const char* why = db ? sqlite3_errmsg(db) : "out of memory";
  std::string message = doing.empty() ? fmt::format("{}: {}", owner.name, why)
                                      : fmt::format("{}: {}: {}", owner.name, doing, why);
  throw Error(owner.code, std::move(message), owner.name);
}

void exec(sqlite3* db, const char* sql, const Owner& owner) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, owner, sql);
}

Statement::Statement(sqlite3* db, const char* sql, const Owner& owner) : db_(db), owner_(owner) {
  if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail(db, owner_, "prepare");
}

Statement& Statement::bind(int index, const std::string& text) {
  sqlite3_bind_text(stmt_, index, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, owner_);
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? reinterpret_cast<const char*>(p) : "";
}

std::string now_rfc3339_ms() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms);
}

}  // namespace provision::sqlite
