#include <utility>  // before Asio: boost/asio/awaitable.hpp (1.74) uses std::exchange

#include "provision/wait_notices.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>

namespace provision {

namespace asio = boost::asio;

struct WaitNotices::Ticker {
  explicit Ticker(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  bool stopped = false;  // a wait that completed as it was cancelled must not report
};

namespace {

using Clock = std::chrono::steady_clock;

asio::awaitable<void> tick(std::shared_ptr<WaitNotices::Ticker> ticker, ProgressSink sink, WaitNotice notice,
                           std::chrono::milliseconds interval) {
  const auto start = Clock::now();
  for (int round = 1;; ++round) {
    ticker->timer.expires_at(start + round * interval);
    boost::system::error_code ec;
    co_await ticker->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ticker->stopped) co_return;
    const double waited = std::chrono::duration<double>(Clock::now() - start).count();
    ProgressEvent event{notice.device, notice.step, StepState::progress, 0,
                        fmt::format("waiting for {}, {} s", notice.what, static_cast<long long>(std::lround(waited)))};
    event.waiting = notice.what;
    event.waited_s = std::round(waited * 10) / 10;
    report(sink, std::move(event));
  }
}

}  // namespace

WaitNotices::WaitNotices(asio::any_io_executor executor, ProgressSink sink, WaitNotice notice,
                         std::chrono::milliseconds interval) {
  if (!sink) return;
  ticker_ = std::make_shared<Ticker>(executor);
  asio::co_spawn(executor, tick(ticker_, std::move(sink), std::move(notice), interval), asio::detached);
}

WaitNotices::~WaitNotices() {
  if (!ticker_) return;
  ticker_->stopped = true;
  ticker_->timer.cancel();
}

}  // namespace provision
