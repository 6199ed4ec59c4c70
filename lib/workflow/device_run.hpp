// The state of one device's run: its link, loader session, record and timings. Private to lib/workflow.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "provision/workflow.hpp"

namespace provision::workflow {

class DeviceRun {
 public:
  DeviceRun(std::string port, const ProvisionOptions& options, Ledger& ledger, const Hooks& hooks);
  // The final record: ok, or an error record with "failed_step". Throws only Error(ledger).
  asio::awaitable<Record> run();

 private:
  using Clock = std::chrono::steady_clock;

  // Runs one step: stop check, progress events, timing, and the ledger commit of the record it produced (once
  // the MAC is known). A failure is recorded in the ledger and rethrown.
  template <typename Body>
  asio::awaitable<void> step(const char* name, Body body) {
    current_step_ = name;
    if (hooks_.stop && hooks_.stop->load()) {
      Error stopped(ErrorCode::interrupted, std::string("stopped by a signal before step ") + name);
      if (!mac_.empty()) ledger_.fail_step(mac_, name, stopped);
      throw stopped;
    }
    report(hooks_.progress, {port_, name, StepState::started, 0, ""});
    const auto started = Clock::now();
    std::optional<Error> failure;
    try {
      co_await body();
    } catch (const Error& error) {
      failure = error;
    }
    timings_[name] = seconds_since(started);
    if (failure) {
      if (!mac_.empty() && failure->code() != ErrorCode::ledger) ledger_.fail_step(mac_, name, *failure);
      report(hooks_.progress, {port_, name, StepState::failed, 0, failure->what()});
      throw *failure;
    }
    if (!mac_.empty()) {
      Record snapshot = record_;
      snapshot["timings"] = timings_;
      ledger_.complete_step(mac_, name, snapshot);
    }
    report(hooks_.progress, {port_, name, StepState::done, 1, ""});
  }

  asio::awaitable<void> run_full();
  asio::awaitable<void> run_wifi_only();
  asio::awaitable<void> configure_and_verify();
  asio::awaitable<void> connect_loader();
  void resume_from_ledger();
  void make_identity();
  asio::awaitable<void> register_with_ca(std::optional<std::string> pop);
  std::vector<std::uint8_t> build_image();
  asio::awaitable<void> flash_image(const std::vector<std::uint8_t>& image);
  static double seconds_since(Clock::time_point start);

  std::string port_;
  const ProvisionOptions& options_;
  Ledger& ledger_;
  const Hooks& hooks_;
  ProgressSink module_progress_;
  Record record_ = Record::object();
  Record timings_ = Record::object();
  std::string mac_;
  std::string current_step_;
  std::unique_ptr<serial::Link> link_;
  std::unique_ptr<loader::Loader> loader_;
  std::unique_ptr<ca::Client> ca_client_;
};

}  // namespace provision::workflow
