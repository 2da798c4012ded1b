#include "daemon/lane.h"

#include <boost/asio/post.hpp>
#include <malloc.h>
#include <spdlog/spdlog.h>

namespace cohortwatch::daemon {

Lane::Lane(std::string name, boost::asio::thread_pool& pool, boost::asio::io_context& loop,
           const config::DatabaseSettings& database, const std::atomic<bool>& stopping)
    : name_(std::move(name)),
      strand_(boost::asio::make_strand(pool.get_executor())),
      loop_(loop),
      store_(tracking::openSqliteStore(database)),
      stopping_(stopping) {}

void Lane::post(std::function<void(tracking::Store&)> job, std::function<void()> done) {
  ++pending_;
  boost::asio::post(strand_, [this, job = std::move(job), done = std::move(done)] {
    if (stopping_.load()) {
      --pending_;
      return;
    }
    try {
      job(*store_);
    } catch (const tracking::StoreError& e) {
      spdlog::error("{}: {}", name_, e.what());
      if (on_store_error_) on_store_error_();
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", name_, e.what());
    }
    if (--pending_ == 0) fallIdle();
    if (done) boost::asio::post(loop_, done);
  });
}

void Lane::fallIdle() {
  try {
    store_->releaseMemory();
  } catch (const std::exception& e) {
    spdlog::warn("{}: {}", name_, e.what());
  }
  // A burst (a large export, a digest over every child) leaves freed blocks in the lane thread's
  // arena, which glibc keeps unless asked: the idle service gives them back.
  malloc_trim(0);
}

}  // namespace cohortwatch::daemon
