// --db: where the registry lives. A SQLite file by default (DIR/registry.db), or PostgreSQL for several servers.
#include <fmt/format.h>

#include "registry.hpp"
#include "registry_postgres.hpp"

namespace provision::ca::server {

std::string RegistryLocation::describe() const {
  if (postgres_url.empty()) return sqlite_path.string();
  // postgresql://user:password@host/db: the password never reaches a log or a record.
  std::string shown = postgres_url;
  auto scheme = shown.find("://");
  auto at = shown.find('@', scheme + 3);
  auto slash = shown.find('/', scheme + 3);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    auto colon = shown.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) shown.replace(colon + 1, at - colon - 1, "***");
  }
  if (auto query = shown.find("password=", scheme); query != std::string::npos) {
    auto end = shown.find('&', query);
    shown.replace(query + 9, (end == std::string::npos ? shown.size() : end) - query - 9, "***");
  }
  return shown;
}

RegistryLocation registry_location(const std::string& db, const std::filesystem::path& dir) {
  RegistryLocation location;
  if (db.empty()) {
    location.sqlite_path = dir / "registry.db";
  } else if (postgres::is_postgres_url(db)) {
    location.postgres_url = db;
  } else if (db.rfind("sqlite:", 0) == 0 && db.size() > 7) {
    location.sqlite_path = db.substr(7);
  } else {
    throw Error(ErrorCode::usage,
                fmt::format("--db \"{}\": write postgresql://USER@HOST[:PORT]/DATABASE or sqlite:PATH (default: "
                            "registry.db in the CA folder)",
                            db.rfind("postgres", 0) == 0 ? db.substr(0, 10) + "..." : db),
                "db");
  }
  return location;
}

std::unique_ptr<Registry> open_registry(const RegistryLocation& location) {
  if (!location.postgres_url.empty()) return std::make_unique<PostgresRegistry>(location.postgres_url);
  return std::make_unique<SqliteRegistry>(location.sqlite_path);
}

std::vector<DeviceRow> read_registry(const RegistryLocation& location) {
  if (!location.postgres_url.empty()) return PostgresRegistry::read_all(location.postgres_url);
  return SqliteRegistry::read_all(location.sqlite_path);
}

}  // namespace provision::ca::server
