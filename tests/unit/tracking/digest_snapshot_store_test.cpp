// What a manager digest showed, kept in the SQLite store (migration 6): the latest snapshot of each
// schedule with its cohorts' figures, schedules kept apart, a snapshot that rolls back with the
// transaction that would have queued its digest, and the last change event's id.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tracking/store.h"

namespace cohortwatch::tracking {
namespace {

namespace fs = std::filesystem;

Date d(const char* text) { return *Date::parse(text); }

class DigestSnapshotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-snapshot-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    settings_.path = (dir_ / "cohortwatch.db").string();
    store_ = openSqliteStore(settings_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void record(const DigestSnapshot& snapshot) {
    auto tx = store_->begin();
    store_->alerting().recordDigestSnapshot(snapshot);
    tx->commit();
  }

  fs::path dir_;
  config::DatabaseSettings settings_;
  std::unique_ptr<Store> store_;
};

TEST_F(DigestSnapshotStoreTest, TheLatestSnapshotOfEachScheduleIsReadBackWithItsCohorts) {
  auto& alerting = store_->alerting();
  EXPECT_EQ(alerting.lastDigestSnapshot("weekly"), std::nullopt);
  record({"weekly", "2026-11-23T08:00:00Z", d("2026-11-23"), 40, {{"2026Q2", 10, 2, 3}}});
  // Two digests in the same second (produce on demand twice): the later one is the last.
  record({"weekly", "2026-11-30T08:00:00Z", d("2026-11-30"), 45,
          {{"2026Q3", 7, 0, 0}, {"2026Q2", 11, 3, 5}}});
  record({"daily", "2026-11-30T08:00:00Z", d("2026-11-29"), 44, {}});

  const auto weekly = alerting.lastDigestSnapshot("weekly");
  ASSERT_TRUE(weekly.has_value());
  EXPECT_EQ(weekly->schedule, "weekly");
  EXPECT_EQ(weekly->produced_at, "2026-11-30T08:00:00Z");
  EXPECT_EQ(weekly->as_of, d("2026-11-30"));
  EXPECT_EQ(weekly->last_event_id, 45);
  ASSERT_EQ(weekly->cohorts.size(), 2u);  // by cohort name
  EXPECT_EQ(weekly->cohorts[0].cohort, "2026Q2");
  EXPECT_EQ(weekly->cohorts[0].members, 11);
  EXPECT_EQ(weekly->cohorts[0].reoffenders, 3);
  EXPECT_EQ(weekly->cohorts[0].reoffences, 5);
  EXPECT_EQ(weekly->cohorts[1].cohort, "2026Q3");

  const auto daily = alerting.lastDigestSnapshot("daily");
  ASSERT_TRUE(daily.has_value());
  EXPECT_EQ(daily->as_of, d("2026-11-29"));
  EXPECT_TRUE(daily->cohorts.empty());
  EXPECT_EQ(alerting.lastDigestSnapshot("monthly"), std::nullopt);
}

TEST_F(DigestSnapshotStoreTest, ASnapshotRollsBackWithItsTransaction) {
  {
    auto tx = store_->begin();
    store_->alerting().recordDigestSnapshot({"weekly", "2026-11-30T08:00:00Z", d("2026-11-30"), 0,
                                             {{"2026Q2", 1, 0, 0}}});
  }  // no commit: the digest was not queued either
  EXPECT_EQ(store_->alerting().lastDigestSnapshot("weekly"), std::nullopt);
}

TEST_F(DigestSnapshotStoreTest, TheLastEventIdIsThatOfTheLatestChangeEvent) {
  EXPECT_EQ(store_->alerting().lastEventId(), 0);
  auto tx = store_->begin();
  PersonRecord person;
  person.person_id = "P1";
  person.date_of_birth = d("2010-01-01");
  store_->applyPerson(person, d("2026-01-01"));
  for (int i = 0; i < 3; ++i) {
    store_->appendEvent({0, "person_changed", "P1", "2026-11-01", R"({"field":"team"})", "test"});
  }
  tx->commit();
  const auto events = store_->events(0, 10);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(store_->alerting().lastEventId(), events.back().id);
}

}  // namespace
}  // namespace cohortwatch::tracking
