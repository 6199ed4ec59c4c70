#include "workflow/board_watch.hpp"  // first: it brings <utility> before Asio

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "provision/loader/session.hpp"

namespace provision::workflow {
namespace {

// The MAC of the board in download mode on `port`, or "" when nothing answers (unplugged, or running its app).
asio::awaitable<std::string> probe_mac(const std::string& port, const ProvisionOptions& options,
                                       const std::string& last_mac) {
  std::unique_ptr<serial::Link> link;
  try {
    link = co_await serial::open_link(port, options.baud);
  } catch (const Error&) {
    co_return "";  // a USB port vanishes while boards are swapped
  }
  loader::Loader device(*link);
  std::string mac;
  try {
    auto connect = loader::connect_options_for(port, options.reset.before, options.reset.sequence, 1, {},
                                               options.reset.sysfs_root);
    co_await device.connect(connect);
    mac = mac_colon(co_await device.read_mac());
  } catch (const Error&) {
    co_return "";
  }
  if (mac == last_mac) {
    // Still the board just provisioned: let it run its application again.
    try {
      co_await device.leave(loader::AfterReset::hard_reset);
    } catch (const Error&) {
    }
  }
  co_return mac;
}

}  // namespace

asio::awaitable<bool> wait_for_next_board(const std::string& port, const std::string& last_mac,
                                          const ProvisionOptions& options, const Hooks& hooks,
                                          std::chrono::milliseconds poll, bool end_when_gone) {
  report(hooks.progress, {port, "wait", StepState::started, 0, "waiting for the next board"});
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!(hooks.stop && hooks.stop->load())) {
    timer.expires_after(poll);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (hooks.stop && hooks.stop->load()) break;
    if (end_when_gone && !std::filesystem::exists(port)) break;
    std::string mac = co_await probe_mac(port, options, last_mac);
    if (!mac.empty() && mac != last_mac) {
      report(hooks.progress, {port, "wait", StepState::done, 1, "board " + mac});
      co_return true;
    }
  }
  co_return false;
}

}  // namespace provision::workflow
