// Exit codes and messages a user meets first: the exit-code table, usage without arguments, the nearest
// subcommand for a typo.
#include <catch2/catch.hpp>

#include "provision/error.hpp"
#include "provision/record.hpp"
#include "support/process.hpp"

namespace exit_codes_test {

using provision::Record;
using test_support::run_process;

namespace {
test_support::ProcessResult espprov(std::vector<std::string> args) {
  args.insert(args.begin(), test_support::bin_path("espprov").string());
  return run_process(args);
}
}  // namespace

TEST_CASE("espprov help exit-codes lists every code of the error table with its exit code", "[cli][exit_codes]") {
  auto table = espprov({"help", "exit-codes"});
  REQUIRE(table.exit_code == 0);
  for (auto* e = provision::error_table_begin(); e != provision::error_table_end(); ++e) {
    INFO(e->name);
    CHECK(table.out.find(std::to_string(e->exit_code) + "  " + std::string(e->name)) != std::string::npos);
  }
  CHECK(table.out.find("partial_failure") != std::string::npos);
  auto as_json = espprov({"help", "exit-codes", "--format", "json"});
  REQUIRE(as_json.exit_code == 0);
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = as_json.out.find('\n', at)) != std::string::npos; ++at) ++lines;
  CHECK(lines == static_cast<std::size_t>(provision::error_table_end() - provision::error_table_begin()));
  CHECK(Record::parse(as_json.out.substr(0, as_json.out.find('\n')))["code"] == "usage");
}

TEST_CASE("espprov without arguments prints the usage, not an error record", "[cli][exit_codes]") {
  auto r = espprov({});
  CHECK(r.exit_code == provision::exit_code_of(provision::ErrorCode::usage));
  CHECK(r.out.empty());
  CHECK(r.err.find("Subcommands") != std::string::npos);
  CHECK(r.err.find("provision") != std::string::npos);
}

TEST_CASE("a mistyped subcommand names the nearest one", "[cli][exit_codes]") {
  auto flsh = espprov({"flsh", "--port", "x"});
  CHECK(flsh.exit_code == provision::exit_code_of(provision::ErrorCode::usage));
  CHECK(flsh.err.find("did you mean 'flash'") != std::string::npos);
  CHECK(Record::parse(flsh.out)["error"]["code"] == "usage");
  auto prov = espprov({"provison"});
  CHECK(prov.err.find("did you mean 'provision'") != std::string::npos);
  auto nothing = espprov({"zzzzzzzz"});
  CHECK(nothing.err.find("did you mean") == std::string::npos);
  CHECK(nothing.err.find("espprov --help") != std::string::npos);
}

}  // namespace exit_codes_test
