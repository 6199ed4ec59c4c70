// The CommandDoc tree from a CLI11 app or a usage text, and the hidden --generate-docs entry point.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "cli_docs.hpp"
#include "provision/error.hpp"

namespace espprov::docs {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// CLI11 shows an IsMember check in the type name as "TEXT:{json,csv,text}".
std::vector<std::string> choices_in(const std::string& type_name) {
  std::vector<std::string> choices;
  auto open = type_name.find('{');
  auto close = type_name.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return choices;
  std::string inside = type_name.substr(open + 1, close - open - 1);
  std::size_t start = 0;
  while (start <= inside.size()) {
    auto comma = inside.find(',', start);
    if (comma == std::string::npos) comma = inside.size();
    auto choice = inside.substr(start, comma - start);
    if (!choice.empty()) choices.push_back(choice);
    start = comma + 1;
  }
  return choices;
}

// What a value is, from the definition: its checks, its name, its help text.
ValueKind kind_of(const OptionDoc& option) {
  if (!option.choices.empty()) return ValueKind::choice;
  for (const auto& name : option.names) {
    if (name == "--port" || name == "--ports") return ValueKind::port;
  }
  const std::string& help = option.description;
  for (const auto& name : option.names) {
    if (name.size() > 5 && name.compare(name.size() - 5, 5, "-file") == 0) return ValueKind::file;
  }
  if (contains(option.value_name, "FILE") || contains(option.value_name, "DIR") || contains(help, "FILE") ||
      contains(help, "file") || contains(help, "folder") || contains(help, "DIR")) {
    return ValueKind::file;
  }
  return ValueKind::text;
}

OptionDoc describe_option(const CLI::Option& opt) {
  OptionDoc doc;
  for (const auto& s : opt.get_snames()) doc.names.push_back("-" + s);
  for (const auto& l : opt.get_lnames()) doc.names.push_back("--" + l);
  doc.description = opt.get_description();
  doc.required = opt.get_required();
  doc.default_value = opt.get_default_str();
  if (opt.get_expected_max() == 0) return doc;  // a flag
  std::string type = opt.get_type_name();
  doc.choices = choices_in(type);
  doc.value_name = type.substr(0, type.find(':'));
  if (doc.value_name.empty()) doc.value_name = "VALUE";
  if (opt.get_positional()) doc.value_name = opt.get_name(true);
  doc.repeatable = opt.get_expected_max() > 1;
  doc.kind = kind_of(doc);
  return doc;
}

CommandDoc describe(CLI::App& app, std::vector<std::string> path) {
  CommandDoc doc;
  doc.path = path;
  doc.description = app.get_description();
  doc.footer = app.get_footer();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    if (opt->nonpositional()) {
      doc.options.push_back(describe_option(*opt));
    } else {
      doc.positionals.push_back(describe_option(*opt));
    }
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return !s->get_group().empty(); })) {
    auto sub_path = path;
    sub_path.push_back(sub->get_name());
    doc.subcommands.push_back(describe(*sub, sub_path));
  }
  return doc;
}

}  // namespace

CommandDoc describe_app(CLI::App& app) { return describe(app, {}); }

CommandDoc describe_usage_text(const std::string& usage) {
  CommandDoc doc;
  std::istringstream lines(usage);
  std::string line;
  // "  --flag VALUE   description": the term ends at the first run of two or more spaces.
  // A flag whose term fills its line ("  --reset-circuit a|b|c") has its description on the indented lines below.
  static const std::regex option_line(R"(^\s+(-\S.*?)(?:\s{2,}(\S.*))?$)");
  static const std::regex continuation(R"(^\s{4,}([^-\s].*)$)");
  std::size_t waiting_from = std::string::npos;  // options (from this index on) still waiting for their text
  while (std::getline(lines, line)) {
    std::smatch m;
    if (line.rfind("usage:", 0) == 0) {
      doc.description = line.substr(6);
      continue;
    }
    if (waiting_from != std::string::npos && std::regex_match(line, m, continuation)) {
      for (auto i = waiting_from; i < doc.options.size(); ++i) {
        auto& text = doc.options[i].description;
        text += (text.empty() ? "" : " ") + m[1].str();
      }
      continue;
    }
    waiting_from = std::string::npos;
    if (!std::regex_match(line, m, option_line)) continue;
    if (!m[2].matched) waiting_from = doc.options.size();
    std::istringstream term(m[1].str());
    std::string word;
    // A line may hold several flags ("--prov-offset X --prov-size Y"): one option per flag, sharing the text.
    std::vector<OptionDoc> found;
    while (term >> word) {
      if (word.rfind("-", 0) == 0) {
        found.emplace_back();
        found.back().names.push_back(word);
        found.back().description = m[2].str();
      } else if (!found.empty()) {
        found.back().value_name = word;
      }
    }
    for (auto& option : found) {
      if (option.value_name.find('|') != std::string::npos) {
        std::string rest = option.value_name;
        std::size_t start = 0;
        while (start <= rest.size()) {
          auto bar = rest.find('|', start);
          if (bar == std::string::npos) bar = rest.size();
          option.choices.push_back(rest.substr(start, bar - start));
          start = bar + 1;
        }
      }
      if (!option.value_name.empty()) option.kind = kind_of(option);
      doc.options.push_back(option);
    }
  }
  return doc;
}

std::string summary_line(const std::string& description, const std::string& program) {
  std::string first = description.substr(0, description.find('\n'));
  if (first.rfind(program + ": ", 0) == 0) first = first.substr(program.size() + 2);
  while (!first.empty() && (first.back() == '.' || first.back() == ' ')) first.pop_back();
  return first;
}

std::vector<ExitStatus> provision_exit_statuses() {
  std::vector<ExitStatus> statuses{{0, "ok", "success: every step (every board) succeeded"}};
  for (auto* info = provision::error_table_begin(); info != provision::error_table_end(); ++info) {
    statuses.push_back({info->exit_code, std::string(info->name), std::string(info->summary)});
  }
  std::stable_sort(statuses.begin(), statuses.end(), [](auto& a, auto& b) { return a.code < b.code; });
  return statuses;
}

void write_docs(const ProgramDoc& program, const std::string& dir) {
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    auto path = std::filesystem::path(dir) / name;
    auto temp = path;
    temp += ".tmp";
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << text;
      if (!out.flush()) throw std::runtime_error("cannot write " + temp.string());
    }
    std::filesystem::rename(temp, path);
  };
  write(program.name + "." + std::to_string(program.section), man_page(program));
  write(program.name + ".bash", bash_completion(program));
  write("_" + program.name, zsh_completion(program));
}

std::optional<int> generate_docs_if_asked(int argc, char** argv, const std::function<ProgramDoc()>& describe) {
  if (argc < 2 || std::string(argv[1]) != "--generate-docs") return std::nullopt;
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " --generate-docs DIR (writes the man page and the completion scripts)\n";
    return 2;
  }
  try {
    write_docs(describe(), argv[2]);
  } catch (const std::exception& e) {
    std::cerr << argv[0] << ": --generate-docs: " << e.what() << '\n';
    return 4;
  }
  return 0;
}

}  // namespace espprov::docs
