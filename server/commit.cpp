// Suspends a request's coroutine until the registry's writer thread has committed its job.
#include "api.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace provision::ca::server {

namespace asio = boost::asio;

asio::awaitable<void> commit(Registry& registry, Registry::Job job) {
  auto executor = co_await asio::this_coro::executor;
  std::exception_ptr error;  // written by the writer thread before it posts the resumption
  // Captures by reference only: GCC 12 may destroy a temporary of a co_await expression twice, harmless only
  // for trivially destructible ones (a shared_ptr captured here was released twice).
  auto initiation = [&registry, &job, &executor, &error](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    registry.submit(std::move(job), [shared, executor, failure_out = &error](std::exception_ptr failure) {
      *failure_out = failure;
      asio::post(executor, [shared] { (*shared)(); });
    });
  };
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(initiation, asio::use_awaitable);
  if (error) std::rethrow_exception(error);
}

}  // namespace provision::ca::server
