// Every example a user reads (README.md, docs/*.md, each program's --help) runs against the real programs, and a
// doc example that stopped working fails here. One test case per document, so a failure names the document.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <sstream>

#include "docs/doc_examples.hpp"
#include "docs/example_runner.hpp"
#include "support/process.hpp"

namespace examples_test {

using namespace doc_examples;

namespace {

const std::vector<std::string> kPrograms{"espprov", "espprov-ca", "espprov-sim"};
const std::vector<std::string> kDocuments{"README.md", "docs/architecture.md", "docs/ca.md", "docs/factory.md",
                                          "docs/install.md", "docs/loader.md", "docs/nvs.md", "docs/wifi.md",
                                          "docs/workflow.md"};

// espprov's pages run as three test cases (each with its own CA and boards), so each stays well inside ctest's
// timeout under ASan: the board steps that reset into the loader, the firmware's commands, and every other page
// (the top level included), so a new subcommand falls into the last and is never skipped.
enum class HelpGroup { all, loader_steps, firmware_commands, others };

HelpGroup group_of(const std::string& page) {
  static const std::set<std::string> loader{"provision", "chip", "mac", "flash", "read-flash", "erase-region", "reset"};
  static const std::set<std::string> firmware{"wifi", "info", "pop", "mqtt-check"};
  std::istringstream words(page);
  std::string program, subcommand;
  words >> program >> subcommand;
  if (loader.count(subcommand)) return HelpGroup::loader_steps;
  if (firmware.count(subcommand)) return HelpGroup::firmware_commands;
  return HelpGroup::others;
}

// A subcommand's help repeats its parent's footer (CLI11): an example shown on several pages runs once.
std::vector<Example> help_examples_of(const std::string& program, HelpGroup group = HelpGroup::all) {
  std::vector<Example> examples;
  std::set<std::string> seen;
  for (const auto& [name, text] : help_pages(program)) {
    if (group != HelpGroup::all && group_of(name) != group) continue;
    for (auto& example : help_examples(text, name, kPrograms)) {
      if (seen.insert(example.command).second) examples.push_back(example);
    }
  }
  return examples;
}

std::vector<Example> every_example() {
  std::vector<Example> all;
  for (const auto& document : kDocuments) {
    for (auto& e : markdown_examples(read_document(document), document)) all.push_back(e);
  }
  for (const auto& program : kPrograms) {
    for (auto& e : help_examples_of(program)) all.push_back(e);
  }
  return all;
}

void run_and_check(const std::vector<Example>& examples) {
  const auto planned = plan(examples);
  for (const auto& outcome : run_examples(planned)) {
    INFO(outcome.where << "\n$ " << outcome.command << "\n--- stdout\n" << outcome.out << "--- stderr\n"
                       << outcome.err);
    CHECK(outcome.problem == "");
  }
}

}  // namespace

TEST_CASE("docs: README.md examples run as documented", "[e2e][docs]") {
  run_and_check(markdown_examples(read_document("README.md"), "README.md"));
}

TEST_CASE("docs: docs/nvs.md examples run as documented", "[e2e][docs]") {
  run_and_check(markdown_examples(read_document("docs/nvs.md"), "docs/nvs.md"));
}

TEST_CASE("docs: docs/ca.md examples run as documented", "[e2e][docs]") {
  run_and_check(markdown_examples(read_document("docs/ca.md"), "docs/ca.md"));
}

TEST_CASE("docs: docs/install.md examples run as documented", "[e2e][docs]") {
  run_and_check(markdown_examples(read_document("docs/install.md"), "docs/install.md"));
}

TEST_CASE("docs: espprov --help examples of the loader steps run as documented", "[e2e][docs]") {
  run_and_check(help_examples_of("espprov", HelpGroup::loader_steps));
}

TEST_CASE("docs: espprov --help examples of the firmware commands run as documented", "[e2e][docs]") {
  run_and_check(help_examples_of("espprov", HelpGroup::firmware_commands));
}

TEST_CASE("docs: espprov --help examples of the other pages run as documented", "[e2e][docs]") {
  run_and_check(help_examples_of("espprov", HelpGroup::others));
}

TEST_CASE("docs: espprov-ca --help examples run as documented", "[e2e][docs]") {
  run_and_check(help_examples_of("espprov-ca"));
}

TEST_CASE("docs: espprov-sim --help examples run as documented", "[e2e][docs]") {
  run_and_check(help_examples_of("espprov-sim"));
}

// A document with examples but no test case above would be skipped silently: the list above is checked.
TEST_CASE("docs: every document with examples has its test case", "[e2e][docs]") {
  const std::set<std::string> tested{"README.md", "docs/nvs.md", "docs/ca.md", "docs/install.md"};
  for (const auto& document : kDocuments) {
    INFO(document);
    CHECK((tested.count(document) == 1) == !markdown_examples(read_document(document), document).empty());
  }
}

TEST_CASE("docs: every substitution, exclusion and expectation still matches an example", "[e2e][docs]") {
  const auto all = every_example();
  REQUIRE(all.size() > 40);  // the extraction itself still finds the documents' examples
  auto used = [&](auto matches) {
    for (const auto& example : all) {
      if (matches(example.command)) return true;
    }
    return false;
  };
  for (const auto& s : substitutions()) {
    INFO("substitution " << s.from);
    CHECK(used([&](const std::string& c) { return std::regex_search(c, std::regex(s.from)); }));
  }
  for (const auto& x : exclusions()) {
    INFO("exclusion " << x.command);
    CHECK(used([&](const std::string& c) { return is_excluded(c) && without_comment(c) == x.command; }));
  }
  for (const auto& e : expectations()) {
    INFO("expectation " << e.contains);
    CHECK(used([&](const std::string& c) { return !is_excluded(c) && c.find(e.contains) != std::string::npos; }));
  }
}

TEST_CASE("docs: the extraction reads prompts, outputs, tables and help lines", "[e2e][docs]") {
  const std::string markdown =
      "```sh\n$ espprov uuid --mac A0 \\\n  --format csv\nok,mac\ntrue,A0\n$ espprov psk\n```\n"
      "| subcommand | example |\n|---|---|\n| `mac` | `espprov mac --mac A0B1C2D3E4F5` |\n\n"
      "```sh\n# a comment\nespprov ports   # trailing\n```\n```text\nespprov not-an-example\n```\n";
  const auto found = markdown_examples(markdown, "x.md");
  REQUIRE(found.size() == 4);
  CHECK(found[0].command == "espprov uuid --mac A0 \\\n  --format csv");
  CHECK(found[0].shown_output == "ok,mac\ntrue,A0\n");
  CHECK(found[0].output_exact);
  CHECK(found[1].command == "espprov psk");
  CHECK(found[1].shown_output == "");
  CHECK(found[2].command == "espprov mac --mac A0B1C2D3E4F5");
  CHECK(found[3].command == "espprov ports   # trailing");
  CHECK(found[3].block != found[0].block);

  const std::string help =
      "Examples:\n  espprov mac --mac A0 | espprov uuid --in -   ->  04e4\n  espprov ledger forget A0   (a note)\n"
      "  X='a b' espprov wifi --ssid 'a, b' \\\n    --open\n  --port TEXT  the port, e.g. espprov x\n"
      "Not indented: espprov y\n";
  const auto lines = help_examples(help, "h", {"espprov"});
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].command == "espprov mac --mac A0 | espprov uuid --in -");
  CHECK(lines[0].shown_output == "04e4");
  CHECK(lines[1].command == "espprov ledger forget A0");
  CHECK(lines[2].command == "X='a b' espprov wifi --ssid 'a, b' \\\n    --open");
}

}  // namespace examples_test
