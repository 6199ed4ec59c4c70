// Test support for the wifi step: run a coroutine against a port, and a scripted peer on a pseudo-terminal for
// device misbehaviour the simulator does not produce (stray lines between answers, hostile Improv frames).
#pragma once

#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "provision/error.hpp"
#include "support/process.hpp"
#include "provision/serial.hpp"

namespace wifi_test {

namespace asio = boost::asio;
namespace serial = provision::serial;

// Opens `port` at 115200, installs `trace` (if any) and runs `body` to completion; rethrows what it threw.
template <typename T>
T on_port(const std::string& port, std::function<asio::awaitable<T>(serial::Link&)> body,
          serial::TraceSink trace = {}) {
  return serial::run_blocking<T>([&]() -> asio::awaitable<T> {
    auto link = co_await serial::open_link(port, 115200);
    if (trace) link->set_trace(trace);
    co_return co_await body(*link);
  });
}

// The ErrorCode `run` throws (internal when it throws nothing); the message goes to `message`.
inline provision::ErrorCode code_of(const std::function<void()>& run, std::string* message = nullptr) {
  try {
    run();
  } catch (const provision::Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return provision::ErrorCode::internal;
}

// Access points with every special character class in SSID and password: the simulator's built-in SSIDs
// (commas, quotes, '=', spaces, backslash, UTF-8, 32 bytes, an open network), each with a passphrase WPA2 allows.
// (The built-in table pairs the UTF-8 SSID with a non-ASCII password, which no station may send: PROTOCOL.md 5.2.)
struct TestAp {
  std::string ssid;
  std::string password;
  int rssi_dbm;
};
const std::vector<TestAp>& hostile_aps();
// Writes them as an --aps file (plus "silent-ap", which never answers) and returns its path.
std::filesystem::path write_hostile_aps(const test_support::TempDir& dir);

// A device played by the test: it reads what the station writes and answers with scripted bytes.
class ScriptedPeer {
 public:
  // `answer` is called for every complete line (or Improv frame) the station sends and returns the bytes to send.
  using Answer = std::function<std::string(const std::string& received)>;
  ScriptedPeer();
  ~ScriptedPeer();
  const std::string& path() const { return path_; }
  // Starts answering in a thread; `greeting` is sent first.
  void run(std::string greeting, Answer answer);
  void send(const std::string& bytes);
  // Everything the station wrote so far.
  std::string received();

 private:
  int master_ = -1;
  int slave_ = -1;
  std::string path_;
  std::thread thread_;
  bool stop_ = false;
  std::mutex mutex_;
  std::string received_;
};

}  // namespace wifi_test
