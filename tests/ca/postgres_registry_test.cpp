// Several espprov-ca serve processes on one PostgreSQL database are one CA: races between them end in one
// registration, and a database that goes away costs 503s, never an acknowledged registration.
#include <utility>  // before Asio: boost/asio/awaitable.hpp (1.74) uses std::exchange

#include <atomic>
#include <condition_variable>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "ca/transport.hpp"
#include "ca_server_support.hpp"
#include "core/postgres.hpp"
#include "provision/ca_crypto.hpp"
#include "provision/files.hpp"
#include "support/postgres.hpp"

namespace postgres_registry_test {

using namespace ca_test;
using provision::ErrorCode;
namespace ca = provision::ca;

namespace {

// A CA folder whose registry is a fresh database on the shared test server, and the serve processes on it.
struct SharedCa {
  test_support::TempDir dir;
  std::string db;
  std::string token = "test-token-" + ca::random_hex(8);
  std::vector<std::unique_ptr<test_support::BackgroundProcess>> servers;
  std::vector<std::string> urls;

  SharedCa() : db(test_support::shared_postgres().create_database()) {
    auto init = test_support::run_process(
        {test_support::bin_path("espprov-ca").string(), "init", (dir / "ca").string(), "--db", db});
    INFO(init.err);
    REQUIRE(init.exit_code == 0);
    provision::write_file_atomic(dir / "token", token + "\n", provision::FileMode::secret);
  }
  // Starts one more server on the database (its stderr in serve-N.log); returns its URL.
  std::string serve() {
    const auto log = dir / ("serve-" + std::to_string(servers.size()) + ".log");
    servers.push_back(std::make_unique<test_support::BackgroundProcess>(
        std::vector<std::string>{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>>" + log.string(),
                                 test_support::bin_path("espprov-ca").string(), "serve", "--dir", (dir / "ca").string(),
                                 "--db", db, "--listen", "127.0.0.1:0", "--token-file", (dir / "token").string()}));
    urls.push_back(provision::Record::parse(servers.back()->read_line())["listening"].get<std::string>());
    return urls.back();
  }
  std::string log(std::size_t server) const {
    std::ifstream in(dir / ("serve-" + std::to_string(server) + ".log"));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  ca::ClientOptions options(const std::string& url, int retries = 3) const {
    ca::ClientOptions o;
    o.url = url;
    o.ca_bundle = (dir / "ca" / "ca.pem").string();
    o.trusted_ca_pem = provision::read_file_text(dir / "ca" / "ca.pem");
    o.token = token;
    o.retries = retries;
    o.timeout = std::chrono::milliseconds(20000);
    return o;
  }
  std::vector<provision::Record> list() const {
    auto listed = test_support::run_process({test_support::bin_path("espprov-ca").string(), "list", "--db", db});
    INFO(listed.err);
    REQUIRE(listed.exit_code == 0);
    std::vector<provision::Record> rows;
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);) rows.push_back(provision::Record::parse(line));
    return rows;
  }
};

struct Outcome {
  bool ok = false;
  std::string certificate;
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

Outcome attempt(const ca::Client& client, const ca::DeviceIdentity& id) {
  Outcome outcome;
  try {
    outcome.certificate = ca::run_register(client, id).certificate;
    outcome.ok = true;
  } catch (const provision::Error& e) {
    outcome.code = e.code();
    outcome.message = e.what();
  }
  return outcome;
}

boost::asio::awaitable<ca::HttpAnswer> post_once(ca::Connection::State& state, const std::string& target,
                                                 const std::string& body) {
  auto answer = co_await state.exchange(boost::beast::http::verb::post, target, body,
                                        ca::Clock::now() + std::chrono::seconds(30));
  state.close();
  co_return answer;
}

// One POST on a fresh connection: the HTTP status.
int post(const ca::Client& client, const std::string& target, const nlohmann::json& body) {
  boost::asio::io_context io;
  ca::Connection::State state;
  state.client = client.impl();
  state.executor = io.get_executor();
  const std::string text = body.dump();  // outlives the coroutine, which keeps a reference
  auto future = boost::asio::co_spawn(io, post_once(state, target, text), boost::asio::use_future);
  io.run();
  return future.get().status;
}

// Registers devices 0..count-1 through `client`, each with `pop` as its proof of possession.
void register_with_pop(const ca::Client& client, int count, const std::string& pop) {
  for (int n = 0; n < count; ++n) {
    auto id = identity(n);
    id.pop = pop;
    REQUIRE(attempt(client, id).ok);
  }
}

// For each device n, runs first(n) and second(n) at the same time; their HTTP statuses.
std::vector<std::pair<int, int>> race(int count, const std::function<int(int)>& first,
                                      const std::function<int(int)>& second) {
  std::vector<std::pair<std::future<int>, std::future<int>>> races;
  for (int n = 0; n < count; ++n) {
    races.emplace_back(std::async(std::launch::async, first, n), std::async(std::launch::async, second, n));
  }
  std::vector<std::pair<int, int>> statuses;
  for (auto& [a, b] : races) statuses.emplace_back(a.get(), b.get());
  return statuses;
}

}  // namespace

TEST_CASE("postgres registry: two users claiming one device through two instances: one 200, one 409",
          "[ca][postgres]") {
  SharedCa shared;
  ca::Client first(shared.options(shared.serve()));
  ca::Client second(shared.options(shared.serve()));
  constexpr int kDevices = 8;
  const std::string pop(64, 'c');
  register_with_pop(first, kDevices, pop);
  auto claim = [&](const ca::Client& client, int n, const std::string& user) {
    return post(client, "/api/devices/claim",
                {{"macAddress", identity(n).mac}, {"proofOfPossession", pop}, {"userId", user}});
  };
  const auto statuses = race(
      kDevices, [&](int n) { return claim(first, n, "alice"); }, [&](int n) { return claim(second, n, "bob"); });
  std::map<std::string, std::string> winner;  // mac -> user
  for (int n = 0; n < kDevices; ++n) {
    const auto [alice, bob] = statuses[n];
    INFO("device " << n << ": alice " << alice << ", bob " << bob);
    CHECK(((alice == 200 && bob == 409) || (alice == 409 && bob == 200)));
    winner[identity(n).mac] = alice == 200 ? "alice" : "bob";
  }
  for (const auto& row : shared.list()) CHECK(row["owner"] == winner[row["mac"].get<std::string>()]);
}

TEST_CASE("postgres registry: the owner unbinding through two instances at once: one 200, one 403, one event",
          "[ca][postgres]") {
  SharedCa shared;
  ca::Client first(shared.options(shared.serve()));
  ca::Client second(shared.options(shared.serve()));
  constexpr int kDevices = 8;
  const std::string pop(64, 'c');
  register_with_pop(first, kDevices, pop);
  for (int n = 0; n < kDevices; ++n) {
    REQUIRE(post(first, "/api/devices/claim",
                 {{"macAddress", identity(n).mac}, {"proofOfPossession", pop}, {"userId", "alice"}}) == 200);
  }
  auto unbind = [&](const ca::Client& client, int n) {
    return post(client, "/api/devices/unbind",
                {{"deviceId", identity(n).uuid}, {"proofOfPossession", pop}, {"userId", "alice"}});
  };
  const auto statuses =
      race(kDevices, [&](int n) { return unbind(first, n); }, [&](int n) { return unbind(second, n); });
  for (int n = 0; n < kDevices; ++n) {
    const auto [a, b] = statuses[n];
    INFO("device " << n << ": " << a << ", " << b);
    // The second waits for the first's row lock, then finds no owner: only the owner may unbind.
    CHECK(((a == 200 && b == 403) || (a == 403 && b == 200)));
  }
  for (const auto& row : shared.list()) CHECK(row["owner"] == "");
  provision::postgres::Connection admin(shared.db, "test");
  CHECK(admin.exec("SELECT count(*) FROM events WHERE kind = 'unbind'").text(0, 0) == std::to_string(kDevices));
}

TEST_CASE("postgres registry: two CA instances racing the same devices end with one registration each",
          "[ca][postgres]") {
  SharedCa shared;
  ca::Client first(shared.options(shared.serve()));
  ca::Client second(shared.options(shared.serve()));
  constexpr int kDevices = 16;
  const std::string shared_key = ca::private_key_pem(ca::generate_key(ca::KeyType::ec_p256).get());
  std::vector<std::pair<std::future<Outcome>, std::future<Outcome>>> races;
  for (int n = 0; n < kDevices; ++n) {
    auto id = identity(n);
    // Even devices: both stations send the same key (a repeat: the same 200). Odd: each its own key (one 409).
    if (n % 2 == 0) id.device_key = shared_key;
    races.emplace_back(std::async(std::launch::async, [&, id] { return attempt(first, id); }),
                       std::async(std::launch::async, [&, id] { return attempt(second, id); }));
  }
  // One mac under two uuids, one through each instance.
  auto mac_a = identity(900), mac_b = identity(901);
  mac_b.mac = mac_a.mac;
  auto mac_race = std::make_pair(std::async(std::launch::async, [&] { return attempt(first, mac_a); }),
                                 std::async(std::launch::async, [&] { return attempt(second, mac_b); }));
  for (int n = 0; n < kDevices; ++n) {
    auto a = races[n].first.get(), b = races[n].second.get();
    INFO("device " << n << ": " << a.message << " | " << b.message);
    CHECK((a.ok || b.ok));
    if (a.ok && b.ok) {
      CHECK(n % 2 == 0);
      CHECK(a.certificate == b.certificate);
    } else {
      CHECK((a.ok ? b.code : a.code) == ErrorCode::ca_conflict);
    }
  }
  auto a = mac_race.first.get(), b = mac_race.second.get();
  CHECK(a.ok != b.ok);
  CHECK((a.ok ? b.code : a.code) == ErrorCode::ca_conflict);

  auto rows = shared.list();
  CHECK(rows.size() == kDevices + 1);
  std::set<std::string> uuids, macs;
  for (const auto& row : rows) {
    uuids.insert(row["uuid"].get<std::string>());
    macs.insert(row["mac"].get<std::string>());
  }
  CHECK(uuids.size() == rows.size());
  CHECK(macs.size() == rows.size());
  // A device registered through one instance is seen by the other.
  CHECK(ca::run_health(second).body["devices"] == kDevices + 1);
}

TEST_CASE("postgres registry: a registration writes its device, secrets and one event; a repeat writes nothing; a "
          "PoP sent later through another instance is recorded",
          "[ca][postgres]") {
  SharedCa shared;
  ca::Client first(shared.options(shared.serve()));
  ca::Client second(shared.options(shared.serve()));
  auto id = identity(7);
  id.device_key = ca::private_key_pem(ca::generate_key(ca::KeyType::ec_p256).get());
  const auto registered = attempt(first, id);
  REQUIRE(registered.ok);
  provision::postgres::Connection admin(shared.db, "test");
  auto count = [&](const std::string& sql) { return admin.exec(sql.c_str(), {id.uuid}).text(0, 0); };
  CHECK(count("SELECT count(*) FROM devices WHERE uuid = $1") == "1");
  CHECK(count("SELECT count(*) FROM device_secrets WHERE uuid = $1 AND psk <> ''") == "1");
  CHECK(count("SELECT count(*) FROM events WHERE uuid = $1 AND kind = 'register'") == "1");

  const auto repeat = attempt(second, id);  // the station's retry, through the other instance
  REQUIRE(repeat.ok);
  CHECK(repeat.certificate == registered.certificate);
  CHECK(count("SELECT count(*) FROM events WHERE uuid = $1") == "1");

  auto with_pop = id;  // the workflow's pop-register step: the same registration, now with the PoP
  with_pop.pop = std::string(64, 'e');
  const auto late = attempt(second, with_pop);
  REQUIRE(late.ok);
  CHECK(late.certificate == registered.certificate);
  CHECK(count("SELECT count(*) FROM events WHERE uuid = $1 AND kind = 'pop'") == "1");
  CHECK(count("SELECT count(*) FROM device_secrets WHERE uuid = $1 AND pop_sha256 <> ''") == "1");
  CHECK(post(first, "/api/devices/claim",
             {{"macAddress", id.mac}, {"proofOfPossession", *with_pop.pop}, {"userId", "alice"}}) == 200);
  auto other_pop = with_pop;  // a different PoP for a device that has one is a conflict, and changes nothing
  other_pop.pop = std::string(64, 'f');
  CHECK(attempt(first, other_pop).code == ErrorCode::ca_conflict);
  CHECK(admin.exec("SELECT count(*) FROM devices").text(0, 0) == "1");
}

TEST_CASE("postgres registry: a database restart costs 503s, loses nothing acknowledged, and is reconnected",
          "[ca][postgres]") {
  auto& server = test_support::shared_postgres();
  SharedCa shared;
  const std::string url = shared.serve();
  ca::Client client(shared.options(url));
  ca::Client no_retry(shared.options(url, 0));
  std::atomic<bool> stop{false};
  std::mutex acknowledged_mutex;
  std::vector<std::string> acknowledged;
  std::condition_variable acknowledged_changed;
  // Waits (bounded) until the station has `count` acknowledged registrations.
  auto wait_acknowledged = [&](std::size_t count) {
    std::unique_lock lock(acknowledged_mutex);
    return acknowledged_changed.wait_for(lock, std::chrono::seconds(120),
                                         [&] { return acknowledged.size() >= count; });
  };
  auto acknowledged_now = [&] {
    std::lock_guard lock(acknowledged_mutex);
    return acknowledged.size();
  };
  std::thread station([&] {  // registers throughout the outage, with the client's retries
    for (int n = 1000; !stop; ++n) {
      auto id = identity(n);
      if (!attempt(client, id).ok) continue;
      {
        std::lock_guard lock(acknowledged_mutex);
        acknowledged.push_back(id.uuid);
      }
      acknowledged_changed.notify_all();
    }
  });
  const bool started = wait_acknowledged(5);
  server.stop();
  auto refused = attempt(no_retry, identity(1));
  CHECK(refused.code == ErrorCode::ca_server);
  CHECK(refused.message.find("HTTP 503") != std::string::npos);
  server.start();
  auto after = attempt(client, identity(2));
  INFO(after.message);
  CHECK(after.ok);
  const bool resumed = wait_acknowledged(acknowledged_now() + 5);
  stop = true;
  station.join();
  REQUIRE(started);
  REQUIRE(resumed);

  std::set<std::string> stored;
  for (const auto& row : shared.list()) stored.insert(row["uuid"].get<std::string>());
  for (const auto& uuid : acknowledged) CHECK(stored.count(uuid) == 1);
  CHECK(stored.count(identity(2).uuid) == 1);
  const auto log = shared.log(0);
  CHECK(log.find("database unavailable") != std::string::npos);
  CHECK(log.find("database reachable again") != std::string::npos);
}

TEST_CASE("postgres registry: init records the latest schema version and a second init on the database keeps its rows",
          "[ca][postgres]") {
  SharedCa shared;
  ca::Client client(shared.options(shared.serve()));
  REQUIRE(attempt(client, identity(7)).ok);
  provision::postgres::Connection db(shared.db, "test");
  CHECK(db.exec("SELECT max(version) FROM schema_version").text(0, 0) == "2");
  test_support::TempDir other;  // a second CA folder on the same database: the schema is there already
  auto init = test_support::run_process(
      {test_support::bin_path("espprov-ca").string(), "init", (other / "ca").string(), "--db", shared.db});
  CHECK(init.exit_code == 0);
  CHECK(shared.list().size() == 1);
  auto exported = test_support::run_process(
      {test_support::bin_path("espprov-ca").string(), "export", "--db", shared.db, "--format", "csv"});
  CHECK(exported.exit_code == 0);
  CHECK(exported.out.find(identity(7).uuid) != std::string::npos);
  CHECK(exported.out.find("psk") == std::string::npos);
}

TEST_CASE("postgres registry: a report reader's role selects devices and events but not the PSKs or keys",
          "[ca][postgres]") {
  SharedCa shared;
  ca::Client client(shared.options(shared.serve()));
  const std::string psk = std::string(32, 'c') + std::string(32, 'd');
  REQUIRE(attempt(client, identity(9, psk)).ok);
  provision::postgres::Connection admin(shared.db, "test");
  admin.exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ca_reporter') THEN "
      "CREATE ROLE ca_reporter LOGIN; END IF; END $$");
  admin.exec("GRANT SELECT ON devices, events TO ca_reporter");  // what docs/factory.md grants a report reader
  std::string as_reporter = shared.db;
  as_reporter.replace(as_reporter.find("espprov@"), 7, "ca_reporter");
  provision::postgres::Connection reporter(as_reporter, "test");
  const auto device = reporter.exec("SELECT row_to_json(d)::text FROM devices d").text(0, 0);
  CHECK(device.find(identity(9).uuid) != std::string::npos);
  CHECK(device.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(device.find(psk) == std::string::npos);
  CHECK(device.find("psk") == std::string::npos);
  CHECK(reporter.exec("SELECT count(*) FROM events").text(0, 0) != "0");
  try {
    reporter.exec("SELECT psk, private_key FROM device_secrets");
    FAIL("the report reader read device_secrets");
  } catch (const provision::postgres::Failure& e) {
    CHECK(e.sqlstate() == "42501");  // insufficient_privilege
  }
  // The CA's own role still reads them: its listing (the registry's rows with their secrets) has the device.
  CHECK(shared.list().size() == 1);
}

TEST_CASE("postgres registry: a registry made at schema version 1 keeps its devices and moves their secrets apart",
          "[ca][postgres]") {
  const std::string db = test_support::shared_postgres().create_database();
  {
    provision::postgres::Connection old(db, "test");  // version 1's tables, as an older espprov-ca made them
    old.exec(
        "CREATE TABLE devices (uuid TEXT PRIMARY KEY, mac TEXT NOT NULL UNIQUE, chip TEXT NOT NULL, psk TEXT NOT NULL, "
        "pop_sha256 TEXT NOT NULL DEFAULT '', certificate TEXT NOT NULL, private_key TEXT NOT NULL DEFAULT '', "
        "serial TEXT NOT NULL UNIQUE, expiry TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "owner TEXT NOT NULL DEFAULT '', device_name TEXT NOT NULL DEFAULT '', location TEXT NOT NULL DEFAULT '', "
        "claimed_at TEXT NOT NULL DEFAULT '', seq BIGSERIAL NOT NULL)");
    old.exec(
        "CREATE TABLE events (id BIGSERIAL PRIMARY KEY, uuid TEXT NOT NULL, kind TEXT NOT NULL, user_id TEXT NOT "
        "NULL DEFAULT '', at TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '')");
    old.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    old.exec("INSERT INTO schema_version (version) VALUES (1)");
    old.exec(
        "INSERT INTO devices (uuid, mac, chip, psk, pop_sha256, certificate, private_key, serial, expiry, created_at, "
        "updated_at) VALUES ($1, 'A0B1C2000042', 'esp32c3', $2, 'pophash', 'cert', 'key', '42', '2030-01-01', "
        "'2026-01-01', '2026-01-01')",
        {identity(0x42).uuid, std::string(64, 'f')});
  }
  auto listed = test_support::run_process({test_support::bin_path("espprov-ca").string(), "list", "--db", db});
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out.find(identity(0x42).uuid) != std::string::npos);
  provision::postgres::Connection now(db, "test");
  CHECK(now.exec("SELECT max(version) FROM schema_version").text(0, 0) == "2");
  auto secrets = now.exec("SELECT psk, pop_sha256, private_key FROM device_secrets WHERE uuid = $1", {identity(0x42).uuid});
  REQUIRE(secrets.rows() == 1);
  CHECK(secrets.text(0, 0) == std::string(64, 'f'));
  CHECK(secrets.text(0, 1) == "pophash");
  CHECK(secrets.text(0, 2) == "key");
  CHECK(now.exec("SELECT count(*) FROM information_schema.columns WHERE table_name = 'devices' AND column_name IN "
                 "('psk', 'pop_sha256', 'private_key')")
            .text(0, 0) == "0");
}

}  // namespace postgres_registry_test
