// Suspends a request's coroutine until the registry's writer thread has committed its job.
#include "api.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

// GCC 12 flags Boost 1.74's coroutine frame allocation as -Wmismatched-new-delete once inlined: a false positive.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace provision::ca::server {

namespace asio = boost::asio;

asio::awaitable<void> commit(Registry& registry, Registry::Job job) {
  auto executor = co_await asio::this_coro::executor;
  auto error = std::make_shared<std::exception_ptr>();
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [&registry, &job, executor, error](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        registry.submit(std::move(job), [shared, executor, error](std::exception_ptr failure) {
          *error = failure;
          asio::post(executor, [shared] { (*shared)(); });
        });
      },
      asio::use_awaitable);
  if (*error) std::rethrow_exception(*error);
}

}  // namespace provision::ca::server
