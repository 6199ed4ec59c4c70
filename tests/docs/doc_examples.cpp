// Extraction only: what counts as an example is decided by the text's own conventions (``` fences, `$ ` prompts,
// a table column named `example`, an indented line starting with a program name), so a new example is found
// without anyone listing it.
#include "docs/doc_examples.hpp"

#include <regex>
#include <sstream>

namespace doc_examples {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

bool continues(const std::string& line) { return !line.empty() && trim(line).back() == '\\'; }

// The `|`-separated cells of a markdown table row (no escaped pipes are used in our tables' code cells).
std::vector<std::string> table_cells(const std::string& row) {
  std::vector<std::string> cells;
  std::string inner = trim(row);
  if (inner.size() < 2 || inner.front() != '|') return cells;
  inner = inner.substr(1, inner.size() - (inner.back() == '|' ? 2 : 1));
  std::size_t start = 0;
  bool in_code = false;
  for (std::size_t i = 0; i <= inner.size(); ++i) {
    if (i < inner.size() && inner[i] == '`') in_code = !in_code;
    if (i == inner.size() || (inner[i] == '|' && !in_code)) {
      cells.push_back(trim(inner.substr(start, i - start)));
      start = i + 1;
    }
  }
  return cells;
}

std::string strip_backticks(const std::string& cell) {
  std::string text = trim(cell);
  if (text.size() >= 2 && text.front() == '`' && text.back() == '`') return text.substr(1, text.size() - 2);
  return text;
}

void add_block_examples(const std::vector<std::string>& block, std::size_t first_line, const std::string& name,
                        int block_index, std::vector<Example>& out) {
  bool prompts = false;
  for (const auto& line : block) prompts = prompts || line.rfind("$ ", 0) == 0;
  for (std::size_t i = 0; i < block.size(); ++i) {
    const std::string& line = block[i];
    const std::string text = trim(line);
    if (text.empty() || text.front() == '#') continue;  // a comment, or a comment's continuation
    if (prompts && line.rfind("$ ", 0) != 0) continue;   // output, collected with its command below
    Example example;
    example.where = name + ":" + std::to_string(first_line + i);
    example.block = block_index;
    example.command = prompts ? line.substr(2) : line;
    while (continues(block[i]) && i + 1 < block.size()) example.command += "\n" + block[++i];
    if (prompts) {
      example.output_exact = true;
      while (i + 1 < block.size() && block[i + 1].rfind("$ ", 0) != 0) example.shown_output += block[++i] + "\n";
    }
    out.push_back(example);
  }
}

}  // namespace

std::vector<Example> markdown_examples(const std::string& text, const std::string& name) {
  std::vector<Example> out;
  const auto lines = lines_of(text);
  int blocks = 0;
  int example_column = -1;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string text_line = trim(lines[i]);
    if (text_line == "```sh") {
      std::vector<std::string> block;
      const std::size_t first = i + 2;  // 1-based number of the block's first line
      while (++i < lines.size() && trim(lines[i]) != "```") block.push_back(lines[i]);
      add_block_examples(block, first, name, blocks++, out);
      continue;
    }
    if (text_line.rfind("```", 0) == 0) {  // another language: skip to its end
      while (++i < lines.size() && trim(lines[i]) != "```") {
      }
      continue;
    }
    const auto cells = table_cells(lines[i]);
    if (cells.empty()) {
      example_column = -1;
      continue;
    }
    if (example_column < 0) {
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (cells[c] == "example") example_column = static_cast<int>(c);
      }
      continue;
    }
    if (static_cast<std::size_t>(example_column) >= cells.size() || cells[0].rfind("---", 0) == 0) continue;
    Example example;
    example.where = name + ":" + std::to_string(i + 1);
    example.command = strip_backticks(cells[example_column]);
    out.push_back(example);
  }
  return out;
}

std::vector<Example> help_examples(const std::string& help, const std::string& where,
                                   const std::vector<std::string>& programs) {
  std::string alternatives;
  for (const auto& program : programs) alternatives += (alternatives.empty() ? "" : "|") + program;
  // Two or more spaces, optional NAME=VALUE assignments (quoted or not), then a program name as a whole word.
  const std::regex starts_example("^  +(?:[A-Z_][A-Z0-9_]*=(?:'[^']*'|\\S*) +)*(?:" + alternatives + ")( |$)");
  const std::regex arrow("^(.*?) +-> +(.*)$");
  const std::regex note("^(.*?)  +\\([^()]*\\)$");
  std::vector<Example> out;
  const auto lines = lines_of(help);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!std::regex_search(lines[i], starts_example)) continue;
    Example example;
    example.where = where;
    example.command = trim(lines[i]);
    while (continues(lines[i]) && i + 1 < lines.size()) example.command += "\n" + lines[++i];
    std::smatch match;
    if (std::regex_match(example.command, match, arrow)) {
      example.shown_output = match[2];
      example.command = match[1];
    } else if (std::regex_match(example.command, match, note)) {
      example.command = match[1];
    }
    out.push_back(example);
  }
  return out;
}

std::vector<std::string> help_subcommands(const std::string& help) {
  std::vector<std::string> names;
  bool in_section = false;
  for (const auto& line : lines_of(help)) {
    if (line == "SUBCOMMANDS:" || line == "Subcommands:") {
      in_section = true;
      continue;
    }
    if (!in_section) continue;
    if (trim(line).empty() || line.rfind("  ", 0) != 0) break;
    std::istringstream words(line);
    std::string name;
    words >> name;
    names.push_back(name);
  }
  return names;
}

}  // namespace doc_examples
