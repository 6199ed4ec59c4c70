// Local files written the safe way: a temp file in the same folder, fsync, rename. A crash leaves either the
// old file or the new one, never half of one. Files holding secrets are created 0600.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace provision {

enum class FileMode : unsigned { shared = 0644, secret = 0600 };

void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                       FileMode mode = FileMode::shared);
void write_file_atomic(const std::filesystem::path& path, std::string_view text, FileMode mode = FileMode::shared);

// Many files at once (nvs-batch): each still goes through a temporary file and a rename, but is not flushed on
// its own; sync_folder() then makes everything written so far durable with one filesystem sync and one fsync of
// the folder. Until then a crash may leave some of these files empty or missing, never half of one.
void write_file_atomic_deferred(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                                FileMode mode = FileMode::shared);
void sync_folder(const std::filesystem::path& folder);

// Checks, before any work whose result it will hold, that `path` can become a file: not a folder, its folder
// exists and is writable. Throws Error(io, `field`) naming the path and what to do.
void require_writable_file_path(const std::filesystem::path& path, std::string_view field);

// Whole file; "-" reads standard input. Throws Error(io) naming the path.
std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path);
std::string read_file_text(const std::filesystem::path& path);

// Every secret file (WiFi password, CA token, PSK) is read by this one function, with one rule: the secret is the
// file's first line without its line end (LF or CRLF); anything else on that line, spaces included, is part of
// it. Error(io) when the file cannot be read; Error(bad_input, `field`) when that line is empty.
std::string read_secret_file(const std::filesystem::path& path, std::string_view field);

}  // namespace provision
