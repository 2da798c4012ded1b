#include "daemon/lane.h"

#include <boost/asio/post.hpp>
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
    --pending_;
    if (done) boost::asio::post(loop_, done);
  });
}

}  // namespace cohortwatch::daemon
