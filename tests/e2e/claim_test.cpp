// Claiming end to end (issue 9): the station provisions a simulated board, which registers the board's PoP with
// the reference CA; a user then claims it over HTTPS with the PoP read from the board, unbinds it, and a second
// user claims it. The real espprov, espprov-sim and espprov-ca; the claim requests go through lib/ca's transport.
#include <catch2/catch.hpp>

#include "e2e/e2e_support.hpp"

namespace claim_test {

using e2e::CaRun;
using nlohmann::json;
using sim_test::SimRun;
using test_support::run_process;
using test_support::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string kClaim = "/api/devices/claim";
const std::string kUnbind = "/api/devices/unbind";

json claim_body(const std::string& mac, const std::string& pop, const std::string& user) {
  return {{"macAddress", mac}, {"proofOfPossession", pop}, {"userId", user}, {"deviceName", user + "'s lamp"},
          {"location", "lab"}};
}

// What `espprov pop --port P` reads from the board (AT+POP? in app mode).
std::string pop_read_from(const std::string& port) {
  auto result = run_process({test_support::bin_path("espprov").string(), "pop", "--port", port}, "", 60s);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto out = e2e::records(result);
  REQUIRE(out.size() == 1);
  return out[0].at("pop").get<std::string>();
}

}  // namespace

TEST_CASE("claim: a provisioned board is claimed with its PoP, unbound, then claimed by a second user",
          "[e2e][claim]") {
  TempDir dir;
  CaRun ca(dir);
  SimRun sim(1, "esp32c3");
  const auto& board = sim.devices()[0];
  auto provisioned = run_process(e2e::provision_argv(&ca, (dir / "ledger.db").string(), {board.port}), "", 120s);
  INFO(provisioned.err);
  REQUIRE(provisioned.exit_code == 0);
  auto out = e2e::records(provisioned);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0]["pop_registered"] == true);
  const std::string uuid = out[0]["uuid"], mac = out[0]["mac"];
  CHECK_FALSE(out[0].contains("pop"));  // the record never carries the PoP unless asked for

  const std::string pop = pop_read_from(board.port);
  REQUIRE(pop.size() == 64);
  std::string wrong = pop;
  wrong.back() = wrong.back() == '0' ? '1' : '0';

  auto refused = ca.post(kClaim, claim_body(mac, wrong, "alice"));
  INFO(refused.body.dump());
  CHECK(refused.status == 403);
  CHECK(refused.body["error"]["field"] == "proofOfPossession");

  auto alice = ca.post(kClaim, claim_body(mac, pop, "alice"));
  INFO(alice.body.dump());
  REQUIRE(alice.status == 200);
  CHECK(alice.body["deviceId"] == uuid);
  CHECK(alice.body["userId"] == "alice");
  CHECK(alice.body["deviceName"] == "alice's lamp");
  CHECK(ca.post(kClaim, claim_body(mac, pop, "bob")).status == 409);          // claimed by another user
  CHECK(ca.post(kUnbind, {{"deviceId", uuid}, {"userId", "bob"}, {"proofOfPossession", pop}}).status == 403);
  // Naming the owner is not enough: unbind needs the device's PoP too.
  CHECK(ca.post(kUnbind, {{"deviceId", uuid}, {"userId", "alice"}, {"proofOfPossession", wrong}}).status == 403);

  auto unbound = ca.post(kUnbind, {{"deviceId", uuid}, {"userId", "alice"}, {"proofOfPossession", pop}});
  REQUIRE(unbound.status == 200);
  CHECK(unbound.body["deviceId"] == uuid);

  // Claimable again with the same PoP, read again from the board: it has not changed.
  CHECK(pop_read_from(board.port) == pop);
  auto bob = ca.post(kClaim, claim_body(mac, pop, "bob"));
  REQUIRE(bob.status == 200);
  CHECK(bob.body["userId"] == "bob");
  auto registry = ca.list();
  REQUIRE(registry.size() == 1);
  CHECK(registry[0]["owner"] == "bob");
  CHECK(registry[0]["has_pop"] == true);
  // The PoP is never in the server's list output nor in anything espprov printed on stderr.
  CHECK(registry[0].dump().find(pop) == std::string::npos);
  CHECK(provisioned.err.find(pop) == std::string::npos);
}

}  // namespace claim_test
