// espprov monitor: the running firmware's console, line by line as it comes, until Ctrl-], a signal, --until or
// --timeout. Keys typed (or bytes piped) on stdin go to the board; secrets the firmware prints are masked.
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <fmt/format.h>
#include <iostream>
#include <optional>
#include <regex>

#include "clock_text.hpp"
#include "command.hpp"
#include "provision/console_monitor.hpp"
#include "provision/serial.hpp"
#include "raw_terminal.hpp"

namespace {
namespace cmd_monitor {

namespace asio = boost::asio;
using provision::Error;
using provision::ErrorCode;
using Clock = std::chrono::steady_clock;

constexpr std::uint8_t kExitKey = 0x1D;  // Ctrl-]: the monitor exit key of esptool, idf.py monitor and telnet
// How often the reader looks up from the port to notice an ending (a key, a signal) when the board is silent.
constexpr std::chrono::milliseconds kPollInterval{100};

struct MonitorOptions {
  std::string port;
  unsigned baud = 115200;
  double timeout_s = 0;  // 0 = until stopped
  std::string until;
};

enum class Ending { running, matched, timed_out, exit_key, signal, failed };

class Monitor {
 public:
  Monitor(asio::io_context& io, const MonitorOptions& options, std::optional<std::regex> until, bool terminal)
      : io_(io), options_(options), until_(std::move(until)), terminal_(terminal), signals_(io, SIGINT, SIGTERM, SIGHUP) {
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) stop(Ending::signal);
    });
  }

  Ending run() {
    asio::co_spawn(io_, read_console(), [this](std::exception_ptr e) {
      if (e) failure_ = e;
      signals_.cancel();  // the console is done: nothing else to wait for
      if (input_) input_->cancel();
    });
    io_.run();
    if (failure_) std::rethrow_exception(failure_);
    return ending_;
  }

 private:
  // The console reader notices within kPollInterval and ends the run.
  void stop(Ending why) {
    if (ending_ == Ending::running) ending_ = why;
  }

  asio::awaitable<void> read_console() {
    link_ = co_await provision::serial::open_link(options_.port, options_.baud);
    start_input();
    std::optional<Clock::time_point> deadline;
    if (options_.timeout_s > 0) {
      deadline = Clock::now() + std::chrono::milliseconds(static_cast<long long>(options_.timeout_s * 1000));
    }
    provision::wifi::MonitorLines lines;
    std::array<std::uint8_t, 1024> buffer{};
    while (ending_ == Ending::running) {
      auto wait = kPollInterval;
      if (deadline) wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()));
      std::size_t n = co_await link_->read_some(buffer, std::max(wait, std::chrono::milliseconds(1)));
      lines.feed(std::span(buffer.data(), n));
      while (auto line = lines.next(n == 0)) {
        print(*line);
        if (until_ && std::regex_search(*line, *until_)) {
          stop(Ending::matched);
          break;
        }
      }
      if (deadline && Clock::now() >= *deadline) stop(Ending::timed_out);
    }
  }

  void print(const std::string& line) {
    if (espprov::output_options().format == "json") {
      provision::Record record = provision::Record::object();
      record["time"] = espprov::utc_now_rfc3339_ms();
      record["port"] = options_.port;
      record["line"] = line;
      std::cout << provision::to_json_text(record) << '\n';
    } else {
      std::cout << line << '\n';
    }
    std::cout.flush();
  }

  // stdin to the board: a terminal (keys), a pipe or a socket. A regular file or /dev/null cannot be waited on,
  // and is not forwarded.
  void start_input() {
    int fd = ::dup(STDIN_FILENO);
    if (fd < 0) return;
    input_.emplace(io_);
    boost::system::error_code ec;
    input_->assign(fd, ec);
    if (ec) {
      ::close(fd);
      input_.reset();
      return;
    }
    asio::co_spawn(io_, forward_input(), [this](std::exception_ptr e) {
      if (!e) return;  // stdin ended: the console goes on
      if (!failure_) failure_ = e;
      stop(Ending::failed);
    });
  }

  asio::awaitable<void> forward_input() {
    std::array<std::uint8_t, 256> buffer{};
    while (ending_ == Ending::running) {
      boost::system::error_code ec;
      std::size_t n = co_await input_->async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // end of input (the monitor goes on) or cancelled
      std::vector<std::uint8_t> out;
      bool exit_key = false;
      for (std::size_t i = 0; i < n && !exit_key; ++i) {
        exit_key = buffer[i] == kExitKey;
        if (exit_key) break;
        out.push_back(buffer[i]);
        if (terminal_ && buffer[i] == '\r') out.push_back('\n');  // Enter ends an AT line: "\r\n"
      }
      if (!out.empty()) co_await link_->write(out);
      if (exit_key) stop(Ending::exit_key);
    }
  }

  asio::io_context& io_;
  const MonitorOptions& options_;
  std::optional<std::regex> until_;
  bool terminal_;
  asio::signal_set signals_;
  std::unique_ptr<provision::serial::Link> link_;
  std::optional<asio::posix::stream_descriptor> input_;
  Ending ending_ = Ending::running;
  std::exception_ptr failure_;
};

std::optional<std::regex> until_regex(const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    return std::regex(text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error(ErrorCode::bad_input, fmt::format("until: '{}' is not a regular expression: {}", text, e.what()),
                "until");
  }
}

void run(const MonitorOptions& options) {
  if (options.timeout_s < 0 || options.timeout_s > 86400) {
    throw Error(ErrorCode::bad_input, fmt::format("timeout: {} s is outside 0..86400 s (0 = no limit)", options.timeout_s),
                "timeout");
  }
  auto until = until_regex(options.until);
  Ending ending = Ending::running;
  {
    espprov::RawTerminal terminal;
    if (terminal.active()) std::cerr << "espprov: monitoring " << options.port << " (Ctrl-] exits)\n";
    asio::io_context io;
    Monitor monitor(io, options, until, terminal.active());
    ending = monitor.run();
  }  // the terminal is itself again before anything else is printed
  if (!until || ending == Ending::matched || ending == Ending::exit_key) return;
  if (ending == Ending::timed_out) {
    throw Error(ErrorCode::device_timeout,
                fmt::format("until: no console line of {} matched '{}' within {} s", options.port, options.until,
                            options.timeout_s),
                "until");
  }
  throw Error(ErrorCode::interrupted,
              fmt::format("until: stopped by a signal before a console line of {} matched '{}'", options.port,
                          options.until),
              "until");
}

void setup(CLI::App& app) {
  auto options = std::make_shared<MonitorOptions>();
  auto* sub = app.add_subcommand("monitor", "Print the running firmware's console lines as they come (Ctrl-] exits)");
  sub->footer(
      "The board is not reset: it runs what the last step's --after left running (hard-reset: the application).\n"
      "Keys typed on a terminal (Enter sends \"\\r\\n\") or bytes piped on stdin go to the board. Secrets the\n"
      "firmware prints (the +POP: reply) are masked. Ctrl-], Ctrl-C, SIGTERM and SIGHUP end the monitor and\n"
      "restore the terminal.\n"
      "Exit: 0 when stopped, at --timeout without --until, or when --until matched; with --until, device_timeout\n"
      "(11) at --timeout and interrupted (61) on a signal before a line matched.\n"
      "Examples:\n"
      "  espprov monitor --port /dev/ttyUSB0\n"
      "  espprov monitor --port /dev/ttyUSB0 --format json > console.ndjson\n"
      "  espprov monitor --port /dev/ttyUSB0 --until '^\\+READY' --timeout 10");
  sub->add_option("--port", options->port, "Serial port of the running firmware (/dev/ttyUSB0, socket://h:p, "
                                           "rfc2217://h:p)")
      ->required();
  sub->add_option("--baud", options->baud, "Console baud rate")->capture_default_str();
  sub->add_option("--timeout", options->timeout_s, "Stop after S seconds (0 = when stopped)")->capture_default_str();
  sub->add_option("--until", options->until,
                  "Stop with exit 0 at the first console line matching REGEX (ECMAScript, searched in the line)");
  // Lines are text by default (a console to read); json gives one {"time","port","line"} object per line.
  sub->preparse_callback([](std::size_t) { espprov::output_options().format = "text"; });
  sub->add_option("--format", espprov::output_options().format,
                  "text (the lines as they are) or json (one {\"time\",\"port\",\"line\"} object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  sub->callback([options] { run(*options); });
}

const espprov::CommandRegistrar registrar{75, setup};

}  // namespace cmd_monitor
}  // namespace
