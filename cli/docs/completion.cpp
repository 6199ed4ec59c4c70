// bash and zsh completion scripts from a ProgramDoc: subcommands, their options, choices of checked values, files,
// and serial ports for --port / --ports (the devices ESP boards' USB adapters appear as, and the stable names the
// udev rules make).
#include <sstream>

#include "cli_docs.hpp"

namespace espprov::docs {
namespace {

constexpr const char* kPortGlobs = "/dev/ttyUSB* /dev/ttyACM* /dev/serial/by-id/* /dev/espprov/*";

std::string identifier(const std::string& text) {
  std::string out;
  for (char c : text) out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

std::string join(const std::vector<std::string>& words, const std::string& between) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : between) + w;
  return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Words for a bash case pattern or echo inside double quotes.
std::string bash_quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\' || c == '$' || c == '`') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string bash_value_kind(const OptionDoc& option) {
  switch (option.kind) {
    case ValueKind::none: return "flag";
    case ValueKind::port: return "port";
    case ValueKind::file: return "file";
    case ValueKind::choice: return "choice " + join(option.choices, " ");
    case ValueKind::text: return "text";
  }
  return "text";
}

void bash_tables(std::ostringstream& subs, std::ostringstream& opts, std::ostringstream& values,
                 std::ostringstream& positionals, const CommandDoc& command) {
  std::string key = join(command.path, " ");
  std::vector<std::string> names;
  for (const auto& sub : command.subcommands) names.push_back(sub.path.back());
  if (!names.empty()) subs << "    " << bash_quoted(key) << ") echo " << bash_quoted(join(names, " ")) << " ;;\n";
  std::vector<std::string> option_names;
  for (const auto& option : command.options) {
    for (const auto& name : option.names) {
      option_names.push_back(name);
      if (option.kind != ValueKind::none) {
        values << "    " << bash_quoted(key + "|" + name) << ") echo " << bash_quoted(bash_value_kind(option))
               << " ;;\n";
      }
    }
  }
  opts << "    " << bash_quoted(key) << ") echo " << bash_quoted(join(option_names, " ")) << " ;;\n";
  for (const auto& positional : command.positionals) {
    if (positional.kind == ValueKind::file) {
      positionals << "    " << bash_quoted(key) << ") echo file ;;\n";
      break;
    }
  }
  for (const auto& sub : command.subcommands) bash_tables(subs, opts, values, positionals, sub);
}

// A zsh _arguments or _describe word inside single quotes.
std::string zsh_quoted(const std::string& text, bool in_brackets) {
  std::string out;
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
      continue;
    }
    if (in_brackets && (c == '[' || c == ']' || c == ':' || c == '\\')) out += '\\';
    out += c;
  }
  return out;
}

std::string zsh_action(const OptionDoc& option, const std::string& fn) {
  switch (option.kind) {
    case ValueKind::none: return "";
    case ValueKind::port: return ":port:" + fn + "_ports";
    case ValueKind::file: return ":file:_files";
    case ValueKind::choice: return ":" + zsh_quoted(option.value_name, true) + ":(" + join(option.choices, " ") + ")";
    case ValueKind::text: return ":" + zsh_quoted(option.value_name, true) + ": ";
  }
  return "";
}

std::string zsh_function(const std::string& fn, const CommandDoc& command) {
  return fn + (command.path.empty() ? "" : "__" + identifier(join(command.path, "__")));
}

void zsh_functions(std::ostringstream& out, const std::string& program, const std::string& fn,
                   const CommandDoc& command) {
  out << zsh_function(fn, command) << "() {\n";
  out << "  local curcontext=\"$curcontext\" state line\n  _arguments -C";
  for (const auto& option : command.options) {
    std::string help = "[" + zsh_quoted(first_line(option.description), true) + "]" + zsh_action(option, fn);
    for (const auto& name : option.names) {
      out << " \\\n    '" << (option.repeatable ? "*" : "") << name << help << "'";
    }
  }
  if (!command.subcommands.empty()) {
    std::vector<std::string> label{program};
    label.insert(label.end(), command.path.begin(), command.path.end());
    label.push_back("subcommand");
    out << " \\\n    ': :->command' \\\n    '*:: :->argument'\n";
    out << "  case $state in\n    command)\n      local -a subcommands\n      subcommands=(";
    for (const auto& sub : command.subcommands) {
      out << "\n        '" << zsh_quoted(sub.path.back(), false) << ':'
          << zsh_quoted(first_line(sub.description), false) << "'";
    }
    out << "\n      )\n      _describe -t commands '" << zsh_quoted(join(label, " "), false)
        << "' subcommands ;;\n    argument)\n      case $words[1] in\n";
    for (const auto& sub : command.subcommands) {
      out << "        " << sub.path.back() << ") " << zsh_function(fn, sub) << " ;;\n";
    }
    out << "      esac ;;\n  esac\n}\n\n";
  } else {
    for (const auto& positional : command.positionals) {
      if (positional.kind == ValueKind::file) {
        out << " \\\n    '*:file:_files'";
        break;
      }
    }
    out << "\n}\n\n";
  }
  for (const auto& sub : command.subcommands) zsh_functions(out, program, fn, sub);
}

}  // namespace

std::string bash_completion(const ProgramDoc& program) {
  std::string fn = "_" + identifier(program.name);
  std::ostringstream subs, opts, values, positionals;
  bash_tables(subs, opts, values, positionals, program.root);
  std::ostringstream out;
  out << "# bash completion for " << program.name << ". Generated by " << program.name
      << " --generate-docs from its command-line definition; do not edit.\n\n";
  out << fn << "_ports() {\n  local p\n  for p in " << kPortGlobs
      << "; do\n    [ -e \"$p\" ] && printf '%s\\n' \"$p\"\n  done\n}\n\n";
  out << fn << "_subcommands() {\n  case \"$1\" in\n" << subs.str() << "  esac\n}\n\n";
  out << fn << "_options() {\n  case \"$1\" in\n" << opts.str() << "  esac\n}\n\n";
  out << "# What follows an option: flag (nothing), port, file, text, or choice WORDS.\n";
  out << fn << "_value() {\n  case \"$1|$2\" in\n" << values.str() << "    *) echo flag ;;\n  esac\n}\n\n";
  out << fn << "_positional() {\n  case \"$1\" in\n" << positionals.str() << "    *) echo none ;;\n  esac\n}\n\n";
  out << fn << "() {\n"
      << "  local cur=${COMP_WORDS[COMP_CWORD]} path='' i=1 word kind\n"
      << "  # The words before the cursor: a subcommand name extends the path; an option with a value skips it.\n"
      << "  while [ \"$i\" -lt \"$COMP_CWORD\" ]; do\n"
      << "    word=${COMP_WORDS[i]}\n"
      << "    case $word in\n"
      << "      -*=*) ;;\n"
      << "      -*) kind=$(" << fn << "_value \"$path\" \"$word\")\n"
      << "          [ \"$kind\" != flag ] && [ $((i + 1)) -lt \"$COMP_CWORD\" ] && i=$((i + 1)) ;;\n"
      << "      *) case \" $(" << fn << "_subcommands \"$path\") \" in\n"
      << "           *\" $word \"*) path=${path:+$path }$word ;;\n"
      << "         esac ;;\n"
      << "    esac\n"
      << "    i=$((i + 1))\n"
      << "  done\n"
      << "  if [ \"$COMP_CWORD\" -gt 1 ]; then\n"
      << "    kind=$(" << fn << "_value \"$path\" \"${COMP_WORDS[COMP_CWORD - 1]}\")\n"
      << "    case $kind in\n"
      << "      port) mapfile -t COMPREPLY < <(compgen -W \"$(" << fn << "_ports)\" -- \"$cur\"); return ;;\n"
      << "      file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- \"$cur\"); return ;;\n"
      << "      choice\\ *) mapfile -t COMPREPLY < <(compgen -W \"${kind#choice }\" -- \"$cur\"); return ;;\n"
      << "      text) COMPREPLY=(); return ;;\n"
      << "    esac\n"
      << "  fi\n"
      << "  if [[ $cur == -* ]]; then\n"
      << "    mapfile -t COMPREPLY < <(compgen -W \"$(" << fn << "_options \"$path\")\" -- \"$cur\")\n"
      << "    return\n"
      << "  fi\n"
      << "  local subcommands\n"
      << "  subcommands=$(" << fn << "_subcommands \"$path\")\n"
      << "  if [ -n \"$subcommands\" ]; then\n"
      << "    mapfile -t COMPREPLY < <(compgen -W \"$subcommands\" -- \"$cur\")\n"
      << "  elif [ \"$(" << fn << "_positional \"$path\")\" = file ]; then\n"
      << "    compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
      << "  fi\n"
      << "}\n\n"
      << "complete -F " << fn << ' ' << program.name << '\n';
  return out.str();
}

std::string zsh_completion(const ProgramDoc& program) {
  std::string fn = "_" + identifier(program.name);
  std::ostringstream out;
  out << "#compdef " << program.name << "\n# zsh completion for " << program.name << ". Generated by " << program.name
      << " --generate-docs from its command-line definition; do not edit.\n\n";
  out << fn << "_cmd_ports() {\n  local -a ports\n  ports=(";
  std::istringstream globs(kPortGlobs);
  std::string glob;
  bool first = true;
  while (globs >> glob) {
    out << (first ? "" : " ") << glob << "(N)";
    first = false;
  }
  out << ")\n  compadd -a ports\n}\n\n";
  zsh_functions(out, program.name, fn + "_cmd", program.root);
  out << fn << "_cmd \"$@\"\n";
  return out.str();
}

}  // namespace espprov::docs
