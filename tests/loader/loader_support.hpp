// Runs a Loader session against one simulated board for a test: open the pty, connect, then the test's body.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>

#include "provision/loader.hpp"

namespace loader_test {

namespace asio = boost::asio;
namespace loader = provision::loader;
using loader::Bytes;

// Deterministic bytes that deflate a little (as firmware does), with 0xC0/0xDB in them to exercise SLIP.
inline Bytes pattern(std::size_t size, std::uint32_t seed) {
  Bytes out(size);
  std::uint32_t x = seed * 2654435761u + 7;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    // Random 16-byte runs alternate with runs of SLIP's special bytes: about half deflates away.
    bool random_run = (i / 16) % 2 == 0;
    out[i] = random_run ? static_cast<std::uint8_t>(x >> 24) : std::uint8_t(i % 3 == 0 ? 0xC0 : 0xDB);
  }
  return out;
}

inline Bytes file_bytes(const std::string& path, std::size_t offset, std::size_t size) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  Bytes out(size);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

struct Events {
  std::vector<provision::ProgressEvent> list;
  provision::ProgressSink sink() {
    return [this](const provision::ProgressEvent& e) { list.push_back(e); };
  }
  bool any_warning() const {
    for (const auto& e : list) {
      if (e.message.rfind("warning:", 0) == 0) return true;
    }
    return false;
  }
};

// Opens `port`, connects with `before`, and runs `body` on the connected loader; returns what it returns.
template <typename T>
T with_loader(const std::string& port, std::function<asio::awaitable<T>(loader::Loader&)> body,
              provision::ProgressSink sink = {}, loader::BeforeReset before = loader::BeforeReset::no_reset) {
  return provision::serial::run_blocking<T>([&]() -> asio::awaitable<T> {
    auto link = co_await provision::serial::open_link(port, 115200);
    loader::Loader device(*link, sink);
    co_await device.connect(before, 3);
    co_return co_await body(device);
  });
}

}  // namespace loader_test
