// espprov-usage-docs: the man page and completion scripts of a program whose --help is a plain usage text (the
// simulator, espprov-sim), written from that text so they say what --help says.
//   espprov-usage-docs PROGRAM NAME SECTION VERSION "SUMMARY" DIR
#include <cstdio>
#include <iostream>
#include <string>

#include "cli_docs.hpp"

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: espprov-usage-docs PROGRAM NAME SECTION VERSION SUMMARY DIR\n";
    return 2;
  }
  std::string command = "'" + std::string(argv[1]) + "' --help";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::cerr << "espprov-usage-docs: cannot run " << argv[1] << '\n';
    return 4;
  }
  std::string usage;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) usage.append(buffer, n);
  if (::pclose(pipe) != 0 || usage.empty()) {
    std::cerr << "espprov-usage-docs: " << command << " failed\n";
    return 4;
  }
  espprov::docs::ProgramDoc program;
  program.name = argv[2];
  program.section = std::stoi(argv[3]);
  program.version = argv[4];
  program.summary = argv[5];
  program.root = espprov::docs::describe_usage_text(usage);
  program.see_also = {"espprov(1)"};
  try {
    espprov::docs::write_docs(program, argv[6]);
  } catch (const std::exception& e) {
    std::cerr << "espprov-usage-docs: " << e.what() << '\n';
    return 4;
  }
  return 0;
}
