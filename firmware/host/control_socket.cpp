#include "control_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sim {
namespace {
constexpr std::size_t kMaxLineBytes = 1024;
}

ControlSocket::ControlSocket(const std::filesystem::path& path, Handler handler)
    : path_(path), handler_(std::move(handler)) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof address.sun_path) {
    throw std::runtime_error("the control socket path " + text + " is longer than " +
                             std::to_string(sizeof address.sun_path - 1) + " bytes; use a shorter --state folder");
  }
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  ::unlink(text.c_str());  // a socket left by an earlier run
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("cannot listen on the control socket " + text + ": " + std::strerror(errno));
  }
}

ControlSocket::~ControlSocket() {
  for (auto& client : clients_) ::close(client.fd);
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
}

std::vector<int> ControlSocket::poll_fds() const {
  std::vector<int> fds{listen_fd_};
  for (const auto& client : clients_) fds.push_back(client.fd);
  return fds;
}

void ControlSocket::on_readable(int fd) {
  if (fd == listen_fd_) {
    accept_client();
    return;
  }
  auto it = std::find_if(clients_.begin(), clients_.end(), [fd](const Client& c) { return c.fd == fd; });
  if (it != clients_.end()) read_client(*it);
}

void ControlSocket::accept_client() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    clients_.push_back({fd, {}});
  }
}

void ControlSocket::read_client(Client& client) {
  char buffer[512];
  bool closed = false;
  for (;;) {
    ssize_t got = ::read(client.fd, buffer, sizeof buffer);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) closed = true;
    if (got <= 0) break;
    client.pending.append(buffer, static_cast<std::size_t>(got));
  }
  for (std::size_t end; (end = client.pending.find('\n')) != std::string::npos;) {
    std::string line = client.pending.substr(0, end);
    client.pending.erase(0, end + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string answer = handler_(line) + "\n";
    // Answers are short; a client that does not read them loses them rather than stalling every device.
    [[maybe_unused]] ssize_t ignored = ::send(client.fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  if (client.pending.size() > kMaxLineBytes) closed = true;
  if (closed) {
    int fd = client.fd;
    ::close(fd);
    clients_.erase(std::remove_if(clients_.begin(), clients_.end(), [fd](const Client& c) { return c.fd == fd; }),
                   clients_.end());
  }
}

}  // namespace sim
