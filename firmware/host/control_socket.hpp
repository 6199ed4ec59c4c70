// The simulator's control: what DTR/RTS do on a real board (a pty has no modem lines). A Unix stream socket in the
// state folder accepts one command per line and answers one line per command; see README.md.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace sim {

class ControlSocket {
 public:
  using Handler = std::function<std::string(const std::string& line)>;  // returns the answer line (no newline)

  ControlSocket(const std::filesystem::path& path, Handler handler);
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  // File descriptors to poll for reading; on_readable handles whichever became ready.
  std::vector<int> poll_fds() const;
  void on_readable(int fd);

 private:
  struct Client {
    int fd;
    std::string pending;
  };
  void accept_client();
  void read_client(Client& client);

  std::filesystem::path path_;
  Handler handler_;
  int listen_fd_ = -1;
  std::vector<Client> clients_;
};

}  // namespace sim
