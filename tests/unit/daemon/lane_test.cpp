// Lane: jobs in order on the pool, completions on the event loop, failures contained, skipped
// when stopping, and the connection's page cache given back once the lane falls idle.
#include "daemon/lane.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

namespace cohortwatch::daemon {
namespace {

namespace fs = std::filesystem;

class LaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-lane-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    database_.path = (dir_ / "cohortwatch.db").string();
  }
  void TearDown() override {
    pool_.join();
    fs::remove_all(dir_);
  }

  // Runs the event loop until `count` completions have been posted to it.
  void runUntil(const int& completed, int count) {
    while (completed < count) {
      loop_.run_one();
    }
  }

  fs::path dir_;
  config::DatabaseSettings database_;
  boost::asio::thread_pool pool_{2};
  boost::asio::io_context loop_;
  // Keeps run_one() waiting for the lane's completions rather than returning at once.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_ =
      boost::asio::make_work_guard(loop_);
  std::atomic<bool> stopping_{false};
};

TEST_F(LaneTest, JobsRunInOrderAndCompleteOnTheEventLoop) {
  Lane lane("evaluation", pool_, loop_, database_, stopping_);
  std::vector<int> ran;  // written by the lane's jobs, one at a time
  int completed = 0;
  const auto loop_thread = std::this_thread::get_id();
  for (int i = 0; i < 20; ++i) {
    lane.post([&ran, i](tracking::Store&) { ran.push_back(i); },
              [&] {
                EXPECT_EQ(std::this_thread::get_id(), loop_thread);
                ++completed;
              });
  }
  runUntil(completed, 20);
  ASSERT_EQ(ran.size(), 20u);
  for (std::size_t i = 0; i < ran.size(); ++i) EXPECT_EQ(ran[i], static_cast<int>(i));
  EXPECT_EQ(lane.pending(), 0);
}

TEST_F(LaneTest, AFailedJobIsContainedAndItsCompletionStillRuns) {
  Lane lane("outbox", pool_, loop_, database_, stopping_);
  int store_errors = 0;
  lane.onStoreError([&] { ++store_errors; });
  int completed = 0;
  lane.post([](tracking::Store&) { throw std::runtime_error("the SMTP server went away"); },
            [&] { ++completed; });
  lane.post([](tracking::Store&) { throw tracking::StoreError("database is locked"); },
            [&] { ++completed; });
  bool next_ran = false;
  lane.post([&](tracking::Store&) { next_ran = true; }, [&] { ++completed; });
  runUntil(completed, 3);
  EXPECT_EQ(store_errors, 1);  // only the StoreError counts against the health check
  EXPECT_TRUE(next_ran);
}

TEST_F(LaneTest, JobsNotStartedWhenStoppingAreSkipped) {
  Lane lane("source incoming", pool_, loop_, database_, stopping_);
  stopping_ = true;
  bool ran = false;
  bool completed = false;
  lane.post([&](tracking::Store&) { ran = true; }, [&] { completed = true; });
  pool_.join();
  loop_.poll();
  EXPECT_FALSE(ran);
  EXPECT_FALSE(completed);
  EXPECT_EQ(lane.pending(), 0);
}

TEST_F(LaneTest, AnIdleLaneGivesBackItsPageCache) {
  Lane lane("evaluation", pool_, loop_, database_, stopping_);
  // Bytes of page cache SQLite took from the heap, for every connection of this process.
  const auto page_cache = [] {
    sqlite3_int64 current = 0;
    sqlite3_int64 highwater = 0;
    sqlite3_status64(SQLITE_STATUS_PAGECACHE_OVERFLOW, &current, &highwater, 0);
    return current;
  };
  sqlite3_int64 while_busy = 0;
  int completed = 0;
  lane.post(
      [&](tracking::Store& store) {
        auto transaction = store.begin();
        for (int i = 0; i < 5000; ++i) {
          tracking::PersonRecord person;
          person.person_id = "P" + std::to_string(i);
          person.date_of_birth = *tracking::Date::parse("2009-04-01");
          person.team = "North";
          store.applyPerson(person, *tracking::Date::parse("2025-01-01"));
        }
        transaction->commit();
        ASSERT_EQ(store.loadCohortData().people.size(), 5000u);
        while_busy = page_cache();
      },
      [&] { ++completed; });
  runUntil(completed, 1);
  ASSERT_GT(while_busy, 256 * 1024);
  EXPECT_LT(page_cache(), while_busy / 4) << "the idle lane kept its page cache";

  // And the data are still there for the next job.
  long people = 0;
  lane.post([&](tracking::Store& store) { people = store.counts().people; }, [&] { ++completed; });
  runUntil(completed, 2);
  EXPECT_EQ(people, 5000);
}

}  // namespace
}  // namespace cohortwatch::daemon
