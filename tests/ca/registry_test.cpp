// The CA registry writes with plain INSERT and UPDATE: a row that collides with another on a unique column fails
// its batch and never replaces (deletes) the row already there.
#include <catch2/catch.hpp>

#include <future>

#include "server/registry.hpp"
#include "provision/error.hpp"
#include "support/process.hpp"

namespace registry_test {

using provision::ca::server::DeviceRow;
using provision::ca::server::Registry;
using provision::ca::server::SqliteRegistry;
using provision::ca::server::Transaction;

namespace {

DeviceRow row(const std::string& uuid, const std::string& mac, const std::string& serial) {
  DeviceRow r;
  r.uuid = uuid;
  r.mac = mac;
  r.chip = "esp32c3";
  r.psk = std::string(64, 'a');
  r.certificate = "-----BEGIN CERTIFICATE-----";
  r.serial = serial;
  r.expiry = r.created_at = r.updated_at = "2026-01-01T00:00:00Z";
  return r;
}

// Runs `job` in the registry's next batch; the commit's error, if any.
std::exception_ptr run(Registry& registry, std::function<void(Transaction&)> job) {
  std::promise<std::exception_ptr> done;
  registry.submit(std::move(job), [&done](std::exception_ptr error) { done.set_value(error); });
  return done.get_future().get();
}

}  // namespace

TEST_CASE("registry: a unique conflict fails the batch and keeps the row already there", "[ca][registry]") {
  test_support::TempDir dir;
  {
    SqliteRegistry registry(dir / "registry.db");
    REQUIRE_FALSE(run(registry, [](Transaction& t) { t.insert(row("uuid-1", "A0B1C2000001", "01")); }));
    // Another uuid with the same mac: INSERT OR REPLACE would delete uuid-1 to make room.
    CHECK(run(registry, [](Transaction& t) { t.insert(row("uuid-2", "A0B1C2000001", "02")); }));
    REQUIRE(registry.find_uuid("uuid-1"));
    CHECK_FALSE(registry.find_uuid("uuid-2"));
    auto changed = row("uuid-1", "A0B1C2000001", "01");
    changed.owner = "alice";
    REQUIRE_FALSE(run(registry, [&](Transaction& t) { t.update(changed); }));
    CHECK(registry.find_uuid("uuid-1")->owner == "alice");
    CHECK(run(registry, [](Transaction& t) { t.update(row("uuid-9", "A0B1C2000009", "09")); }));  // no such row
  }
  auto rows = SqliteRegistry::read_all(dir / "registry.db");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].uuid == "uuid-1");
  CHECK(rows[0].owner == "alice");
}

TEST_CASE("registry: a second Registry on the same file is refused while the first is open", "[ca][registry]") {
  test_support::TempDir dir;
  SqliteRegistry first(dir / "registry.db");
  try {
    SqliteRegistry second(dir / "registry.db");
    FAIL("opened a locked registry");
  } catch (const provision::Error& e) {
    CHECK(e.code() == provision::ErrorCode::io);
    CHECK(std::string(e.what()).find("locked") != std::string::npos);
  }
}

}  // namespace registry_test
