// The ledger report's figures from step events: pure, no database.
#include "provision/ledger_report.hpp"

#include <catch2/catch.hpp>

namespace ledger_report_test {

using provision::Record;

namespace {

Record event(const std::string& mac, const std::string& step, const std::string& state, const std::string& at,
             const std::string& station, const std::string& error_code = "") {
  return {{"mac", mac}, {"step", step}, {"state", state}, {"at", at}, {"station", station}, {"error_code", error_code}};
}

}  // namespace

TEST_CASE("ledger report: yield, boards per hour per station, failures and median step time", "[workflow][report]") {
  std::vector<Record> events = {
      event("m1", "begin", "started", "2026-12-01T10:00:00.000Z", "a"),
      event("m1", "flash", "done", "2026-12-01T10:00:10.000Z", "a"),
      event("m1", "verified", "done", "2026-12-01T10:00:12.000Z", "a"),
      event("m2", "begin", "started", "2026-12-01T10:05:00.000Z", "b"),
      event("m2", "flash", "failed", "2026-12-01T10:05:30.000Z", "b", "flash_verify"),
      event("m2", "begin", "started", "2026-12-01T11:00:00.000Z", "a"),
      event("m2", "flash", "done", "2026-12-01T11:00:20.000Z", "a"),
      event("m2", "verified", "done", "2026-12-01T11:00:21.500Z", "a"),
  };
  auto report = provision::ledger_report(events, "2026-12-01");
  CHECK(report["boards_started"] == 2);
  CHECK(report["boards_verified"] == 2);
  CHECK(report["first_pass"] == 1);
  CHECK(report["first_pass_yield"].get<double>() == Approx(0.5));
  REQUIRE(report["boards_per_hour"].size() == 2);
  CHECK(report["boards_per_hour"][0]["hour"] == "2026-12-01T10:00Z");
  CHECK(report["boards_per_hour"][1]["station"] == "a");
  REQUIRE(report["failures"].size() == 1);
  CHECK(report["failures"][0]["step"] == "flash");
  CHECK(report["failures"][0]["error_code"] == "flash_verify");
  CHECK(report["failures"][0]["count"] == 1);
  // flash: 10 s and 20 s -> 15 s; verified: 2 s and 1.5 s -> 1.75 s
  CHECK(report["median_step_seconds"][0]["step"] == "flash");
  CHECK(report["median_step_seconds"][0]["seconds"].get<double>() == Approx(15));
  CHECK(report["median_step_seconds"][1]["seconds"].get<double>() == Approx(1.75));
  CHECK(provision::report_csv(report).find("failures,,,flash,flash_verify,1") != std::string::npos);
  auto html = provision::report_html(report);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("50.0%") != std::string::npos);
}

}  // namespace ledger_report_test
