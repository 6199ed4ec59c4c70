// The station file: `--config FILE` (or $ESPPROV_CONFIG) holds the flags a station repeats, one TOML section per
// subcommand ([provision], [flash], [monitor], ...); flags on the command line override it. CLI11 reads the file
// (its TOML reader and section-to-subcommand mapping); this file adds what a station needs on top: a clear error for
// a key no subcommand has, for a secret written inline (secrets stay in files: password-file, token-file,
// psk-file), and for a file other users could change.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

#include "provision/error.hpp"

namespace espprov {

// Adds --config to the root app (so call it before the subcommands are added: they inherit fallthrough, which lets
// `espprov provision --config station.toml` reach the root's option).
void add_station_config(CLI::App& root);

// The station file error a CLI11 parse error stands for (unreadable file, unknown key), naming the file; nullopt
// when `error` is not about the station file.
std::optional<provision::Error> station_config_error(const CLI::ParseError& error, const CLI::App& root);

}  // namespace espprov
