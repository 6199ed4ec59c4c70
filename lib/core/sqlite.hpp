// The small part of SQLite's C API the ledger and the CA registry share: statements that finalize themselves,
// exec, and errors that name whose database failed. Private to libprovision.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "provision/error.hpp"

namespace provision::sqlite {

// Whose database it is, for errors: "ledger: database is locked" with the owner's code and field.
struct Owner {
  ErrorCode code;
  const char* name;
};

[[noreturn]] void fail(sqlite3* db, const Owner& owner, std::string_view doing = {});
void exec(sqlite3* db, const char* sql, const Owner& owner);

class Statement {
 public:
  Statement(sqlite3* db, const char* sql, const Owner& owner);
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int index, const std::string& text);
  bool step();  // true: a row; false: done
  void reset();  // for the next bind/step, bindings cleared
  std::string text(int column);
  int integer(int column) { return sqlite3_column_int(stmt_, column); }

 private:
  sqlite3* db_;
  Owner owner_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Row timestamps: "2026-12-01T10:11:18.123Z" (UTC, milliseconds).
std::string now_rfc3339_ms();

}  // namespace provision::sqlite
