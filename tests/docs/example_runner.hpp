// Runs documented examples as a user would: bash in a work folder, the built programs first on PATH, the real
// reference CA (HTTPS on loopback, a token), simulated boards (espprov-sim; provisioned by espprov itself where an
// example needs a running firmware), a ser2net bridge for socket:// and a mosquitto broker for MQTT, only when an
// example asks for them. The files examples name (ca.pem, token, wifi.txt, nvs.csv, ...) are made by the fixture.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "docs/doc_examples.hpp"
#include "docs/example_rules.hpp"

namespace doc_examples {

// What one example did; `problem` is empty when it behaved as documented.
struct Outcome {
  std::string where;
  std::string command;  // as run, after the substitutions
  std::string problem;
  std::string out;
  std::string err;
};

// The examples of one document that are not excluded, with the rules applied.
struct Planned {
  Example example;
  std::string command;  // substituted; placeholders still in braces
  Expectation expectation;
};
std::vector<Planned> plan(const std::vector<Example>& examples);

// Runs every planned example of one document, in order, in one work folder; returns one outcome each.
std::vector<Outcome> run_examples(const std::vector<Planned>& planned);

// Documents and help texts, read the way a user reads them.
std::string read_document(const std::string& relative_path);  // from the source tree
// `program --help` and, recursively, `program SUB --help` for every subcommand: one text per help page, named
// "program SUB --help".
std::vector<std::pair<std::string, std::string>> help_pages(const std::string& program);

}  // namespace doc_examples
