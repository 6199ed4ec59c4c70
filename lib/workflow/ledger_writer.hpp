// The ledger for many devices on one io_context: every change is handed to a writer thread, which applies all the
// changes waiting at that moment in one SQLite transaction (group commit: one fsync for 32 devices' steps instead
// of 32), then resumes each waiting coroutine. A step is acknowledged only once its change is durable, exactly as
// with one transaction per step; the io_context meanwhile keeps every other device's serial and HTTP I/O going.
// Private to lib/workflow.
#pragma once

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "provision/ledger.hpp"

namespace provision::workflow {

namespace asio = boost::asio;

class LedgerWriter {
 public:
  explicit LedgerWriter(Ledger& ledger);
  ~LedgerWriter();  // finishes what is queued, then joins the thread
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  asio::awaitable<std::optional<LedgerEntry>> find(std::string mac);
  asio::awaitable<LedgerEntry> begin(std::string mac, std::string port);
  asio::awaitable<void> complete_step(std::string mac, std::string step, Record record);
  asio::awaitable<void> fail_step(std::string mac, std::string step, Error error);
  asio::awaitable<void> finish(std::string mac, Record record);
  asio::awaitable<void> pin_ca(std::string ca_url, std::string ca_cert_pem);

 private:
  struct Job {
    std::function<void(Ledger&)> run;                   // on the writer thread, inside the batch
    std::function<void(std::exception_ptr)> complete;   // posts the waiting coroutine's resumption
  };

  // Queues `op` (moved from) for the writer thread; the returned awaitable resumes the caller once the batch that
  // held it is durable, rethrowing what `op` threw. Not a coroutine and taking a reference: GCC 12 destroys
  // temporaries passed to a coroutine inside a co_await expression twice (seen here as a double free).
  asio::awaitable<void> queue(std::function<void(Ledger&)>& op) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        [this, &op](auto handler) {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          enqueue(Job{std::move(op), [shared](std::exception_ptr error) {
                        auto executor = asio::get_associated_executor(*shared);
                        asio::post(executor, [shared, error]() mutable { (*shared)(error); });
                      }});
        },
        asio::use_awaitable);
  }

  void enqueue(Job job);
  void run();

  Ledger& ledger_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;  // joined by the destructor, never detached
};

}  // namespace provision::workflow
