#include "station_config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>

namespace espprov {
namespace {
namespace station_config {

using provision::Error;
using provision::ErrorCode;

// The file CLI11 reads: the --config value, else the option's default ($ESPPROV_CONFIG).
std::string config_path(const CLI::App& root) {
  const CLI::Option* option = root.get_config_ptr();
  if (option == nullptr) return {};
  if (option->count() > 0) return option->results().back();
  return option->get_default_str();
}

// The subcommand a section names ([provision], [ledger.list]), or nullptr.
CLI::App* section_app(CLI::App& root, const std::vector<std::string>& parents) {
  CLI::App* app = &root;
  for (const auto& name : parents) {
    auto found = app->get_subcommands([&](const CLI::App* sub) { return sub->check_name(name); });
    if (found.empty()) return nullptr;
    app = found.front();
  }
  return app;
}

// Whoever may change the file may point the station at another CA or network: only its owner may write it.
void refuse_writable_by_others(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return;  // CLI11 reports an unreadable file
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) == 0) return;
  throw Error(ErrorCode::bad_input,
              fmt::format("config: {} is writable by {} (mode {:04o}); anyone who can change a station file can "
                          "point the station at another CA or network. Run: chmod go-w {}",
                          path, (info.st_mode & S_IWOTH) ? "every user" : "its group", info.st_mode & 07777, path),
              "config");
}

// A key must be an option of the subcommand its section names, and one that may be written in a file.
void check_key(CLI::App& root, const CLI::ConfigItem& item, const std::string& path) {
  const bool section_mark = item.name == "++" || item.name == "--";
  if (item.parents.empty()) {
    if (section_mark) return;
    throw Error(ErrorCode::usage,
                fmt::format("config: {}: key '{}' is outside a section; put it under the subcommand it is for, "
                            "e.g. [provision]",
                            path, item.name),
                "config");
  }
  CLI::App* app = section_app(root, item.parents);
  const std::string section = CLI::detail::join(item.parents, ".");
  if (app == nullptr) {
    throw Error(ErrorCode::usage,
                fmt::format("config: {}: [{}] is not an espprov subcommand (see espprov --help)", path, section),
                "config");
  }
  if (section_mark) return;
  const CLI::Option* option = app->get_option_no_throw("--" + item.name);
  if (option == nullptr) {
    throw Error(ErrorCode::usage,
                fmt::format("config: {}: unknown key '{}' in [{}] (keys are the long flags of espprov {} without "
                            "'--'; see espprov {} --help)",
                            path, item.name, section, section, section),
                "config");
  }
  if (option->get_configurable()) return;
  const bool has_file_form = app->get_option_no_throw("--" + item.name + "-file") != nullptr;
  throw Error(ErrorCode::usage,
              fmt::format("config: {}: '{}' in [{}] is not allowed in a station file{}", path, item.name, section,
                          has_file_form ? fmt::format(": it is a secret and station files are often readable by "
                                                      "everyone; write it in a file of its own (mode 0600) and name "
                                                      "that file with {}-file",
                                                      item.name)
                                        : ""),
              "config");
}

// CLI11's TOML reader, plus the station's checks. Every section is checked (a typo anywhere fails), but only the
// section of the subcommand being run is applied: several subcommands share options such as --format, and another
// section's value must not leak into this run.
class StationFile : public CLI::ConfigTOML {
 public:
  explicit StationFile(CLI::App& root) : root_(root) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    const std::string path = config_path(root_);
    refuse_writable_by_others(path);
    auto items = CLI::ConfigTOML::from_config(input);
    for (const auto& item : items) check_key(root_, item, path);
    const auto run = root_.get_subcommands();
    items.erase(std::remove_if(items.begin(), items.end(),
                               [&](const CLI::ConfigItem& item) {
                                 return item.parents.empty() || std::none_of(run.begin(), run.end(), [&](const CLI::App* sub) {
                                   return sub->check_name(item.parents.front());
                                 });
                               }),
                items.end());
    return items;
  }

 private:
  CLI::App& root_;
};

}  // namespace station_config
using namespace station_config;
}  // namespace

void add_station_config(CLI::App& root) {
  root.fallthrough();
  root.config_formatter(std::make_shared<StationFile>(root));
  root.allow_config_extras(CLI::config_extras_mode::error);
  auto* option = root.set_config("--config", "",
                                 "Station file (TOML): the flags a station repeats, one [section] per subcommand; "
                                 "flags given on the command line override it (default $ESPPROV_CONFIG; example: docs/station.toml.example)");
  option->type_name("FILE");
  if (const char* env = std::getenv("ESPPROV_CONFIG"); env != nullptr && *env != '\0') {
    option->default_str(env);
    option->required();  // a named file that is missing is an error, not silently no station file
  }
}

std::optional<provision::Error> station_config_error(const CLI::ParseError& error, const CLI::App& root) {
  const std::string path = config_path(root);
  if (dynamic_cast<const CLI::FileError*>(&error) != nullptr) {
    return Error(ErrorCode::io,
                 fmt::format("config: {}: cannot read the station file (given by --config or $ESPPROV_CONFIG)",
                             path.empty() ? "(none)" : path),
                 "config");
  }
  if (dynamic_cast<const CLI::ConfigError*>(&error) != nullptr) {
    return Error(ErrorCode::usage, fmt::format("config: {}: {}", path, error.what()), "config");
  }
  return std::nullopt;
}

}  // namespace espprov
