// Progress while a step waits on something outside espprov (the CA, a WiFi connection, a booting firmware, the
// MQTT broker): without it, progress outside a terminal goes silent for seconds and a log cannot tell a slow CA
// from a hung station. While a WaitNotices object lives, it reports "waiting for <what>, N s" through the
// progress sink every few seconds (ProgressEvent::waiting and ::waited_s set); none after it is destroyed.
//
//   provision::WaitNotices notices(co_await asio::this_coro::executor, progress, {port, "ca-register", "CA"});
//   auto registration = co_await ca::register_device(client, identity);
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "provision/progress.hpp"

namespace provision {

struct WaitNotice {
  std::string device;  // as in ProgressEvent
  std::string step;    // as in ProgressEvent
  std::string what;    // "CA", "WiFi", "firmware boot", "MQTT": the notice reads "waiting for <what>, N s"
};

// Long enough that a wait of a second or two says nothing, short enough that a log never stays silent for long.
inline constexpr std::chrono::milliseconds kWaitNoticeInterval{3000};

class WaitNotices {
 public:
  // With an empty sink nothing is started.
  WaitNotices(boost::asio::any_io_executor executor, ProgressSink sink, WaitNotice notice,
              std::chrono::milliseconds interval = kWaitNoticeInterval);
  ~WaitNotices();
  WaitNotices(const WaitNotices&) = delete;
  WaitNotices& operator=(const WaitNotices&) = delete;

  struct Ticker;  // the timer the notice coroutine shares with this object (defined in the .cpp)

 private:
  std::shared_ptr<Ticker> ticker_;
};

}  // namespace provision
