// The examples a user reads, taken mechanically from where they are written: README.md's ```sh blocks and the
// `example` column of its tables, and the examples in the programs' --help texts. Pure text in, examples out; the
// runner (example_runner.hpp) decides how each one runs.
#pragma once

#include <string>
#include <vector>

namespace doc_examples {

struct Example {
  std::string where;    // "README.md:63", "espprov flash --help"
  std::string command;  // shell text; continuation lines kept with their backslash-newline
  // What the document shows the command printing: the lines after a README `$ ` prompt (exact), or the text
  // after `->` in a help line (each part between "..." must appear, in order). Empty when nothing is shown.
  std::string shown_output;
  bool output_exact = false;
  int block = -1;  // README: the ```sh block it came from (examples of one block run in order, in one folder)
};

// Fenced ```sh blocks (commands, `$ ` prompts with their output, `#` comments skipped) and the cells of a table
// column headed `example`. `name` is the document's name in Example::where.
std::vector<Example> markdown_examples(const std::string& text, const std::string& name);

// The example lines of one --help text: a line indented by two or more spaces whose first word (after NAME=VALUE
// environment assignments) is one of `programs`, with its `\` continuation lines. A trailing "   (note)" is
// dropped and a trailing "   ->  output" becomes shown_output.
std::vector<Example> help_examples(const std::string& help, const std::string& where,
                                   const std::vector<std::string>& programs);

// The subcommand names listed in a CLI11 help text's SUBCOMMANDS section.
std::vector<std::string> help_subcommands(const std::string& help);

}  // namespace doc_examples
