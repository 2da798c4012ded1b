// The casework side of the SQLite store: actions with every change in their history, filters for
// owners, children and overdue actions, reviews feeding days_since_review, unknown children
// refused, and writes that roll back with the caller's transaction.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tracking/store.h"

namespace cohortwatch::tracking {
namespace {

namespace fs = std::filesystem;

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::SizeIs;

Date d(const char* text) {
  return *Date::parse(text);
}

class CaseworkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-casework-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    settings_.path = (dir_ / "cohortwatch.db").string();
    store_ = openSqliteStore(settings_);
    auto tx = store_->begin();
    for (const char* id : {"P1", "P2"}) {
      PersonRecord person;
      person.person_id = id;
      person.date_of_birth = d("2009-04-01");
      person.caseworker = std::string("cw-") + id + "@yot.example.org";
      store_->applyPerson(person, d("2025-01-01"));
    }
    tx->commit();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  long add(const char* person, const char* description, const char* owner,
           std::optional<Date> due = std::nullopt, const char* status = "open") {
    Action action;
    action.person_id = person;
    action.description = description;
    action.owner = owner;
    action.due_on = due;
    action.status = status;
    action.recorded_by = "manager";
    auto tx = store_->begin();
    const long id = store_->casework().addAction(action);
    tx->commit();
    return id;
  }

  fs::path dir_;
  config::DatabaseSettings settings_;
  std::unique_ptr<Store> store_;
};

TEST_F(CaseworkStoreTest, AddedActionIsReadBackWithWhoAndWhen) {
  const long id = add("P1", "Home visit", "cw@yot.example.org", d("2025-03-01"));
  const auto action = store_->casework().action(id);
  ASSERT_TRUE(action);
  EXPECT_EQ(action->person_id, "P1");
  EXPECT_EQ(action->description, "Home visit");
  EXPECT_EQ(action->owner, "cw@yot.example.org");
  EXPECT_EQ(action->due_on, d("2025-03-01"));
  EXPECT_EQ(action->status, "open");
  EXPECT_EQ(action->notes, "");
  EXPECT_EQ(action->recorded_by, "manager");
  EXPECT_EQ(action->recorded_at.size(), 20u) << action->recorded_at;  // 2025-01-01T10:00:00Z
  EXPECT_EQ(action->updated_at, action->recorded_at);
  EXPECT_FALSE(store_->casework().action(id + 1));
}

TEST_F(CaseworkStoreTest, UpdateRecordsEveryChangedFieldAndOnlyThose) {
  const long id = add("P1", "Home visit", "a@yot.example.org", d("2025-03-01"));
  ActionUpdate update;
  update.description = "Home visit";  // the same: not a change
  update.owner = "b@yot.example.org";
  update.due_on = std::optional<Date>();  // cleared
  update.notes = "mother present";
  update.status = "done";
  const auto changes = store_->casework().updateAction(id, update, "deputy");
  ASSERT_THAT(changes, SizeIs(4));

  const auto history = store_->casework().actionHistory(id);
  ASSERT_THAT(history, SizeIs(4));
  EXPECT_EQ(history[0].field, "owner");
  EXPECT_EQ(history[0].old_value, "a@yot.example.org");
  EXPECT_EQ(history[0].new_value, "b@yot.example.org");
  EXPECT_EQ(history[1].field, "due_on");
  EXPECT_EQ(history[1].old_value, "2025-03-01");
  EXPECT_EQ(history[1].new_value, "");
  EXPECT_EQ(history[2].field, "notes");
  EXPECT_EQ(history[2].new_value, "mother present");
  EXPECT_EQ(history[3].field, "status");
  EXPECT_EQ(history[3].old_value, "open");
  EXPECT_EQ(history[3].new_value, "done");
  for (const auto& change : history) {
    EXPECT_EQ(change.changed_by, "deputy");
    EXPECT_EQ(change.action_id, id);
    EXPECT_FALSE(change.changed_at.empty());
  }
  const auto action = store_->casework().action(id);
  EXPECT_EQ(action->owner, "b@yot.example.org");
  EXPECT_FALSE(action->due_on);
  EXPECT_EQ(action->status, "done");
  EXPECT_GE(action->updated_at, action->recorded_at);

  // The same update again changes nothing and adds no history.
  EXPECT_THAT(store_->casework().updateAction(id, update, "deputy"), IsEmpty());
  EXPECT_THAT(store_->casework().actionHistory(id), SizeIs(4));
}

TEST_F(CaseworkStoreTest, UnknownChildUnknownActionAndBadStatusAreRefused) {
  Action action;
  action.person_id = "P404";
  action.description = "Call";
  action.owner = "a@yot.example.org";
  action.recorded_by = "manager";
  EXPECT_THROW(store_->casework().addAction(action), UnknownPersonError);
  action.person_id = "P1";
  action.status = "finished";
  EXPECT_THROW(store_->casework().addAction(action), StoreError);
  ActionUpdate update;
  update.status = "open";
  EXPECT_THROW(store_->casework().updateAction(999, update, "x"), StoreError);
  const long id = add("P1", "Call", "a@yot.example.org");
  update.status = "closed";
  EXPECT_THROW(store_->casework().updateAction(id, update, "x"), StoreError);
  EXPECT_EQ(store_->casework().action(id)->status, "open");

  Review review;
  review.person_id = "P404";
  review.reviewed_on = d("2025-02-01");
  review.recorded_by = "manager";
  EXPECT_THROW(store_->casework().recordReview(review), UnknownPersonError);
}

TEST_F(CaseworkStoreTest, ListFiltersByOwnerChildStatusAndOverdue) {
  const long a = add("P1", "A", "Owner@yot.example.org", d("2025-02-01"));
  const long b = add("P1", "B", "other@yot.example.org", d("2025-01-15"));
  const long c = add("P2", "C", "owner@yot.example.org");
  const long e = add("P2", "E", "owner@yot.example.org", d("2025-01-01"), "done");
  auto ids = [&](const ActionFilter& filter) {
    std::vector<long> out;
    for (const auto& action : store_->casework().actions(filter)) out.push_back(action.id);
    return out;
  };
  // By due date, undated last.
  auto filter = [](std::string owner, std::string person, std::string status,
                   std::optional<Date> overdue_on = std::nullopt) {
    ActionFilter f;
    f.owner = std::move(owner);
    f.person_id = std::move(person);
    f.status = std::move(status);
    f.overdue_on = overdue_on;
    return f;
  };
  EXPECT_THAT(ids({}), ElementsAre(e, b, a, c));
  EXPECT_THAT(ids(filter("owner@YOT.example.org", "", "")), ElementsAre(e, a, c));
  EXPECT_THAT(ids(filter("", "P2", "")), ElementsAre(e, c));
  EXPECT_THAT(ids(filter("", "", "open")), ElementsAre(b, a, c));
  EXPECT_THAT(ids(filter("", "", "done")), ElementsAre(e));
  // Overdue as of 2025-02-01: open and due before that day (a is due that day: not overdue; e is
  // done; c has no due date).
  EXPECT_THAT(ids(filter("", "", "", d("2025-02-01"))), ElementsAre(b));
  EXPECT_THAT(ids(filter("", "", "", d("2025-02-02"))), ElementsAre(b, a));
}

TEST_F(CaseworkStoreTest, OpenActionsCarryNotesForTheRulesAndDigest) {
  const long id = add("P1", "Home visit", "a@yot.example.org");
  ActionUpdate update;
  update.notes = "bring leaflet";
  store_->casework().updateAction(id, update, "x");
  add("P1", "Closed", "a@yot.example.org", std::nullopt, "cancelled");
  const auto open = store_->alerting().openActions();
  ASSERT_THAT(open, SizeIs(1));
  EXPECT_EQ(open[0].id, id);
  EXPECT_EQ(open[0].notes, "bring leaflet");
  EXPECT_EQ(open[0].status, "open");
}

TEST_F(CaseworkStoreTest, ReviewsAreListedNewestFirstAndFeedLastReviews) {
  auto record = [&](const char* person, const char* day, const char* note) {
    Review review;
    review.person_id = person;
    review.reviewed_on = d(day);
    review.note = note;
    review.recorded_by = "manager";
    return store_->casework().recordReview(review);
  };
  record("P1", "2025-01-10", "first");
  record("P1", "2025-02-10", "");
  record("P2", "2025-01-20", "other");
  const auto p1 = store_->casework().reviews("P1");
  ASSERT_THAT(p1, SizeIs(2));
  EXPECT_EQ(p1[0].reviewed_on, d("2025-02-10"));
  EXPECT_EQ(p1[0].note, "");
  EXPECT_EQ(p1[1].note, "first");
  EXPECT_THAT(store_->casework().reviews(""), SizeIs(3));
  EXPECT_THAT(store_->alerting().lastReviews(),
              ElementsAre(std::pair<std::string, Date>("P1", d("2025-02-10")),
                          std::pair<std::string, Date>("P2", d("2025-01-20"))));
}

TEST_F(CaseworkStoreTest, WritesRollBackWithTheCallersTransaction) {
  const long id = add("P1", "Home visit", "a@yot.example.org");
  {
    auto tx = store_->begin();
    ActionUpdate update;
    update.status = "done";
    store_->casework().updateAction(id, update, "x");
    Action action;
    action.person_id = "P2";
    action.description = "Never";
    action.owner = "a@yot.example.org";
    action.recorded_by = "x";
    store_->casework().addAction(action);
    // destroyed without commit
  }
  EXPECT_EQ(store_->casework().action(id)->status, "open");
  EXPECT_THAT(store_->casework().actionHistory(id), IsEmpty());
  EXPECT_THAT(store_->casework().actions({}), SizeIs(1));
}

TEST_F(CaseworkStoreTest, PersonLookupGivesTheCaseworker) {
  EXPECT_EQ(store_->casework().person("P1")->caseworker, "cw-P1@yot.example.org");
  EXPECT_FALSE(store_->casework().person("P404"));
}

}  // namespace
}  // namespace cohortwatch::tracking
