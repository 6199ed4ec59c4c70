#include "provision/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <iostream>
#include <iterator>
#include <random>

#include "provision/error.hpp"

namespace provision {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view what) {
  throw Error(ErrorCode::io, fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)), "path");
}

// A name unlikely to exist (O_EXCL refuses one that does): a per-thread generator seeded once from the system's
// entropy; a std::random_device per file cost a few per cent of nvs-batch.
std::string temp_name(const std::filesystem::path& path) {
  thread_local std::mt19937_64 generator{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                         std::random_device{}()};
  return fmt::format("{}.tmp-{:016x}", path.string(), generator());
}

void write_file_atomic_impl(const std::filesystem::path& path, std::span<const std::uint8_t> bytes, FileMode mode,
                            bool flush);

}  // namespace

void require_writable_file_path(const std::filesystem::path& path, std::string_view field) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(ErrorCode::io, fmt::format("{}: {} is a folder; give a file path such as {}/records.ndjson", field,
                                           path.string(), path.string()),
                std::string(field));
  }
  const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(folder, ec)) {
    throw Error(ErrorCode::io, fmt::format("{}: the folder {} of {} does not exist; create it first", field,
                                           folder.string(), path.string()),
                std::string(field));
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    throw Error(ErrorCode::io, fmt::format("{}: cannot write into {} ({}); choose a writable folder", field,
                                           folder.string(), std::strerror(errno)),
                std::string(field));
  }
}

void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes, FileMode mode) {
  write_file_atomic_impl(path, bytes, mode, true);
}

void write_file_atomic_deferred(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                                FileMode mode) {
  write_file_atomic_impl(path, bytes, mode, false);
}

void sync_folder(const std::filesystem::path& folder) {
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(folder, "cannot open the folder");
  // syncfs: the data and metadata of every file written into this filesystem, in one call; then the folder.
  if (::syncfs(fd) != 0 || ::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    fail(folder, "cannot flush the folder");
  }
  ::close(fd);
}

namespace {

void write_file_atomic_impl(const std::filesystem::path& path, std::span<const std::uint8_t> bytes, FileMode mode,
                            bool flush) {
  std::string tmp = temp_name(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  for (int retry = 0; fd < 0 && errno == EEXIST && retry < 8; ++retry) {  // a leftover or a forked twin's name
    tmp = temp_name(path);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  }
  if (fd < 0) fail(path, "cannot create a temporary file next to");
  // The umask may have removed bits; secrets must be exactly 0600, shared files at most 0644.
  ::fchmod(fd, static_cast<mode_t>(mode));
  std::size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = saved;
      fail(path, "cannot write");
    }
    written += static_cast<std::size_t>(n);
  }
  if ((flush && ::fsync(fd) != 0) || ::close(fd) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail(path, "cannot flush");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail(path, "cannot rename the temporary file onto");
  }
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view text, FileMode mode) {
  write_file_atomic(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), mode);
}

std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path) {
  std::string text = read_file_text(path);
  return {text.begin(), text.end()};
}

std::string read_file_text(const std::filesystem::path& path) {
  if (path == "-") {
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open");
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail(path, "cannot read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string read_secret_file(const std::filesystem::path& path, std::string_view field) {
  std::string text = read_file_text(path);
  text.erase(std::min(text.find('\n'), text.size()));
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) {
    throw Error(ErrorCode::bad_input,
                fmt::format("{}: the first line of {} is empty; write the secret on the first line", field,
                            path.string()),
                std::string(field));
  }
  return text;
}

}  // namespace provision
