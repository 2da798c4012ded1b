// A lane of the service's work: jobs that may block (reading an export, an HTTP request, an SMTP
// conversation, a SQLite transaction) run one at a time, in order, on a shared worker pool, each
// lane with its own database connection. Lanes run in parallel with each other, so a slow SMTP
// server holds up only the outbox lane, and a failing source only its own lane; the event loop
// itself never blocks. A job's completion is posted back to the event loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "tracking/store.h"

namespace cohortwatch::daemon {

class Lane {
 public:
  // Opens the lane's own connection to the store now (so that an unusable database is found at
  // start, not in the middle of the night).
  Lane(std::string name, boost::asio::thread_pool& pool, boost::asio::io_context& loop,
       const config::DatabaseSettings& database, const std::atomic<bool>& stopping);

  const std::string& name() const { return name_; }
  tracking::Store& store() { return *store_; }

  // Runs job(store) on the lane, then done() on the event loop. Jobs not yet started when the
  // service is stopping are skipped (done is not called). An exception from the job is logged
  // and done() still runs, so the lane's schedule carries on. When its last queued job has run,
  // the lane gives back the memory its connection caches and what the job freed, so that the idle
  // service stays small (issue 7's footprint).
  void post(std::function<void(tracking::Store&)> job, std::function<void()> done = {});

  // Jobs queued or running.
  int pending() const { return pending_.load(); }

  // Called (on the lane's thread) when a job fails with a StoreError: for the health check.
  void onStoreError(std::function<void()> callback) { on_store_error_ = std::move(callback); }

 private:
  void fallIdle();

  std::string name_;
  boost::asio::strand<boost::asio::thread_pool::executor_type> strand_;
  boost::asio::io_context& loop_;
  std::unique_ptr<tracking::Store> store_;
  const std::atomic<bool>& stopping_;
  std::atomic<int> pending_{0};
  std::function<void()> on_store_error_;
};

}  // namespace cohortwatch::daemon
