// Many devices on one executor: a pool of `jobs` workers taking ports from a queue; station mode keeps each port's
// worker waiting for the next board.
#include <glob.h>

#include <utility>  // before Asio (Boost 1.74 awaitable.hpp needs std::exchange)

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <filesystem>
#include <memory>
#include <set>

#include "provision/workflow.hpp"
#include "workflow/board_watch.hpp"
#include "workflow/device_run.hpp"
#include "workflow/ledger_writer.hpp"

namespace provision::workflow {
namespace {

bool stopping(const Hooks& hooks) { return hooks.stop && hooks.stop->load(); }

asio::awaitable<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(duration);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

// One port in station mode: provision, then wait until a board with another MAC answers, and go again.
asio::awaitable<void> station_port(std::string port, const StationOptions& station, const ProvisionOptions& options,
                                   LedgerWriter& ledger, const Hooks& hooks, SharedClients& clients,
                                   std::function<void(const Record&)>& on_done) {
  std::string last_mac;
  while (!stopping(hooks)) {
    if (!last_mac.empty()) {
      bool next = co_await wait_for_next_board(port, last_mac, options, hooks, station.board_poll,
                                               station.auto_ports.has_value());
      if (!next) break;  // stopped while waiting, or (--ports auto) the port went away
    }
    DeviceRecord record = co_await run_device(port, options, ledger, hooks, clients);
    on_done(to_json(record));
    // --ports auto: the port went away (board unplugged); the watcher starts a new worker when it comes back.
    if (station.auto_ports && !std::filesystem::exists(port)) break;
    last_mac = record.mac.value_or("");
    if (last_mac.empty()) co_await pause(station.board_poll);  // no board answered: try the port again later
    if (last_mac.empty()) last_mac = "?";
  }
}

// --ports auto with --loop: lists the ports every board_poll and starts a station worker on each new one.
asio::awaitable<void> watch_auto_ports(const StationOptions& station, const ProvisionOptions& options,
                                       LedgerWriter& ledger, const Hooks& hooks, SharedClients& clients,
                                       std::function<void(const Record&)>& on_done,
                                       std::shared_ptr<std::set<std::string>> active) {
  auto executor = co_await asio::this_coro::executor;
  auto workers = std::make_shared<std::size_t>(0);
  while (!stopping(hooks)) {
    for (const auto& port : auto_ports(*station.auto_ports, station.sysfs_root)) {
      if (!active->insert(port).second) continue;
      report(hooks.progress, {port, "wait", StepState::progress, 0, "port appeared"});
      ++*workers;
      asio::co_spawn(
          executor, station_port(port, station, options, ledger, hooks, clients, on_done),
          [port, active, workers, &on_done](std::exception_ptr error) {
            active->erase(port);
            --*workers;
            if (!error) return;
            try {
              std::rethrow_exception(error);
            } catch (const Error& e) {
              on_done(error_record(e));
            } catch (const std::exception& e) {
              on_done(error_record(Error(ErrorCode::internal, e.what())));
            }
          });
    }
    co_await pause(station.board_poll);
  }
  // Stopped: the workers finish their current step; wait for them (they reference this frame's arguments).
  while (*workers > 0) co_await pause(std::chrono::milliseconds(20));
}

}  // namespace

std::vector<std::string> auto_ports(const serial::UsbPortFilter& filter, const std::string& sysfs_root) {
  std::vector<std::string> ports;
  for (const auto& port : serial::list_usb_serial_ports(sysfs_root)) {
    if (port.esp_bridge() && filter.matches(port)) ports.push_back(serial::host_path(port, sysfs_root));
  }
  return ports;
}

asio::awaitable<void> provision_station(const StationOptions& station, const ProvisionOptions& options,
                                        Ledger& ledger, const Hooks& hooks,
                                        std::function<void(const Record&)> on_done) {
  auto executor = co_await asio::this_coro::executor;
  LedgerWriter writer(ledger);  // group commit across the devices; outlives every worker (awaited below)
  auto clients = make_shared_clients(options);  // one CA client and one MQTT connection for every device
  auto queue = std::make_shared<std::deque<std::string>>(station.ports.begin(), station.ports.end());
  std::size_t workers = station.jobs == 0 ? queue->size() : std::min(station.jobs, queue->size());
  if (station.loop) workers = queue->size();  // station mode: every port is watched all the time
  const bool watching = station.auto_ports && station.loop;
  auto running = std::make_shared<std::size_t>(workers + (watching ? 1 : 0));
  asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
  if (watching) {
    // Explicit --port values get their workers below; the watcher adds the USB ports as they appear.
    auto active = std::make_shared<std::set<std::string>>(station.ports.begin(), station.ports.end());
    asio::co_spawn(executor, watch_auto_ports(station, options, writer, hooks, clients, on_done, active),
                   [&, running](std::exception_ptr error) {
                     if (error) {
                       try {
                         std::rethrow_exception(error);
                       } catch (const std::exception& e) {
                         on_done(error_record(Error(ErrorCode::internal, e.what())));
                       }
                     }
                     if (--*running == 0) all_done.cancel();
                   });
  }

  for (std::size_t i = 0; i < workers; ++i) {
    asio::co_spawn(
        executor,
        [&, queue, running]() -> asio::awaitable<void> {
          while (!queue->empty() && !stopping(hooks)) {
            std::string port = queue->front();
            queue->pop_front();
            if (station.loop) {
              co_await station_port(port, station, options, writer, hooks, clients, on_done);
            } else {
              DeviceRecord record = co_await run_device(port, options, writer, hooks, clients);
              on_done(to_json(record));
            }
          }
        },
        [&, running](std::exception_ptr error) {
          if (error) {
            try {
              std::rethrow_exception(error);
            } catch (const Error& e) {
              on_done(error_record(e));  // a ledger failure: reported, the other workers go on
            } catch (const std::exception& e) {
              on_done(error_record(Error(ErrorCode::internal, e.what())));
            }
          }
          if (--*running == 0) all_done.cancel();
        });
  }
  boost::system::error_code ignored;
  if (*running > 0) co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

std::vector<std::string> expand_port_glob(const std::string& pattern) {
  glob_t matches{};
  int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
  std::vector<std::string> out;
  if (rc == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) out.emplace_back(matches.gl_pathv[i]);
  }
  ::globfree(&matches);
  if (out.empty()) {
    // Suggest the usual patterns the user did not give (USB-UART bridges, then USB CDC / USB-Serial/JTAG).
    std::string others;
    for (const char* usual : {"/dev/ttyUSB*", "/dev/ttyACM*"}) {
      if (pattern != usual) others += std::string(others.empty() ? "" : " or ") + "--ports '" + usual + "'";
    }
    throw Error(ErrorCode::bad_input,
                "ports: no port matches '" + pattern + "'; are the boards plugged in? (try " + others + ")", "ports");
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace provision::workflow
