// The state of one device's run: its link, loader session, record and timings. Private to lib/workflow.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/this_coro.hpp>

#include "mqtt/watch.hpp"
#include "provision/device_record.hpp"
#include "provision/wait_notices.hpp"
#include "provision/workflow.hpp"
#include "workflow/ledger_writer.hpp"

namespace provision::workflow {

// What every device of a run shares, built once per run: the CA client (its TLS context and roots loaded once;
// null without options.ca) and the station's MQTT connection (one TLS handshake per run; null without
// options.mqtt).
struct SharedClients {
  std::unique_ptr<ca::Client> ca;
  std::unique_ptr<mqtt::StationSubscriber> mqtt;
};
SharedClients make_shared_clients(const ProvisionOptions& options);

class DeviceRun {
 public:
  DeviceRun(std::string port, const ProvisionOptions& options, LedgerWriter& ledger, const Hooks& hooks,
            SharedClients& clients);
  // The final record: ok, or an error record with "failed_step". Throws only Error(ledger).
  asio::awaitable<DeviceRecord> run();

 private:
  using Clock = std::chrono::steady_clock;

  // Runs one step: stop check, progress events, timing, and the ledger commit of the record it produced (once
  // the MAC is known). A failure is recorded in the ledger and rethrown.
  // Arguments of co_await calls are named objects, never temporaries: GCC 12 mishandles temporaries that live
  // across a suspension.
  template <typename Body>
  asio::awaitable<void> step(const char* name, Body body) {
    const std::string step_name = name;
    current_step_ = step_name;
    if (hooks_.stop && hooks_.stop->load()) {
      const Error stopped(ErrorCode::interrupted, "stopped by a signal before step " + step_name);
      if (!mac_.empty()) co_await ledger_.fail_step(mac_, step_name, stopped);
      throw stopped;
    }
    report(hooks_.progress, {port_, step_name, StepState::started, 0, ""});
    const auto started = Clock::now();
    std::optional<WaitNotices> notices;
    if (const char* what = waited_for(step_name)) {
      auto executor = co_await asio::this_coro::executor;
      notices.emplace(executor, hooks_.progress, WaitNotice{port_, step_name, what});
    }
    std::optional<Error> failure;
    try {
      co_await body();
    } catch (const Error& error) {
      // A port that never answered is unavailable; one that worked for an earlier step and vanished is gone.
      failure = timings_.empty() ? error : port_failure(error, port_);
    }
    notices.reset();
    timings_[step_name] = seconds_since(started);
    if (failure) {
      if (!mac_.empty() && failure->code() != ErrorCode::ledger) co_await ledger_.fail_step(mac_, step_name, *failure);
      report(hooks_.progress, {port_, step_name, StepState::failed, 0, failure->what()});
      throw *failure;
    }
    if (!mac_.empty()) {
      DeviceRecord with_timings = record_;
      with_timings.timings = timings_;
      Record snapshot = to_json(with_timings);
      co_await ledger_.complete_step(mac_, step_name, snapshot);
    }
    report(hooks_.progress, {port_, step_name, StepState::done, 1, ""});
  }

  // port_unavailable on a device path that no longer exists becomes port_gone (the board was unplugged): only
  // after a step has run on the port.
  static Error port_failure(const Error& error, const std::string& port);
  // What a step waits on outside the station ("CA", "WiFi", ...), for its wait notices; null for steps that
  // report their own progress (connect, flash) or are quick.
  static const char* waited_for(const std::string& step);
  asio::awaitable<void> run_full();
  asio::awaitable<void> run_wifi_only();
  asio::awaitable<void> configure_and_verify();
  asio::awaitable<void> connect_loader();
  asio::awaitable<void> resume_from_ledger();
  void make_identity();
  asio::awaitable<void> register_with_ca(std::optional<std::string> pop);
  std::vector<std::uint8_t> build_image();
  // Flash encryption on the chip and no NVS keys: the firmware could not read the partition (flash_encrypted).
  void refuse_unreadable_credentials() const;
  asio::awaitable<void> flash_image(const std::vector<std::uint8_t>& image);
  static double seconds_since(Clock::time_point start);

  std::string port_;
  const ProvisionOptions& options_;
  LedgerWriter& ledger_;
  const Hooks& hooks_;
  ProgressSink module_progress_;
  DeviceRecord record_;
  Record timings_ = Record::object();
  std::string mac_;
  std::string current_step_;
  std::unique_ptr<serial::Link> link_;
  std::unique_ptr<loader::Loader> loader_;
  const ca::Client* ca_client_;
  mqtt::StationSubscriber* mqtt_station_;
};

// provision_device() with the writer shared by every device of a station.
asio::awaitable<DeviceRecord> run_device(std::string port, const ProvisionOptions& options, LedgerWriter& ledger,
                                         const Hooks& hooks, SharedClients& clients);

}  // namespace provision::workflow
