#include "workflow/ledger_writer.hpp"

namespace provision::workflow {

LedgerWriter::LedgerWriter(Ledger& ledger) : ledger_(ledger), thread_([this] { run(); }) {}

LedgerWriter::~LedgerWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void LedgerWriter::enqueue(Job job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void LedgerWriter::run() {
  for (;;) {
    std::deque<Job> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      batch.swap(queue_);
    }
    std::vector<std::exception_ptr> errors(batch.size());
    std::exception_ptr commit_error;
    try {
      ledger_.batch([&] {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          try {
            batch[i].run(ledger_);
          } catch (...) {
            errors[i] = std::current_exception();  // this change alone is undone (its savepoint)
          }
        }
      });
    } catch (...) {
      commit_error = std::current_exception();  // nothing of the batch is durable: every caller hears it
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].complete(commit_error ? commit_error : errors[i]);
  }
}

asio::awaitable<std::optional<LedgerEntry>> LedgerWriter::find(std::string mac) {
  auto found = std::make_shared<std::optional<LedgerEntry>>();
  std::function<void(Ledger&)> op = [mac, found](Ledger& l) { *found = l.find(mac); };
  co_await queue(op);
  co_return *found;
}

asio::awaitable<LedgerEntry> LedgerWriter::begin(std::string mac, std::string port) {
  auto entry = std::make_shared<LedgerEntry>();
  std::function<void(Ledger&)> op = [mac, port, entry](Ledger& l) { *entry = l.begin(mac, port); };
  co_await queue(op);
  co_return *entry;
}

asio::awaitable<void> LedgerWriter::complete_step(std::string mac, std::string step, Record record) {
  std::function<void(Ledger&)> op = [mac, step, record = std::move(record)](Ledger& l) {
    l.complete_step(mac, step, record);
  };
  co_await queue(op);
}

asio::awaitable<void> LedgerWriter::fail_step(std::string mac, std::string step, Error error) {
  std::function<void(Ledger&)> op = [mac, step, error](Ledger& l) { l.fail_step(mac, step, error); };
  co_await queue(op);
}

asio::awaitable<void> LedgerWriter::finish(std::string mac, Record record) {
  std::function<void(Ledger&)> op = [mac, record = std::move(record)](Ledger& l) { l.finish(mac, record); };
  co_await queue(op);
}

asio::awaitable<void> LedgerWriter::pin_ca(std::string ca_url, std::string ca_cert_pem) {
  std::function<void(Ledger&)> op = [ca_url, ca_cert_pem](Ledger& l) { l.pin_ca(ca_url, ca_cert_pem); };
  co_await queue(op);
}

}  // namespace provision::workflow
