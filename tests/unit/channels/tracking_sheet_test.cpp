// The tracking sheet on a worked cohort built in the test: the header keys import actions reads,
// which members are on it (one cohort, or every running one), in which order (priority, then
// person id), a row per open action with the member's columns repeated, empty action columns for
// a new action, the child named as privacy allows, and the CSV with formula-like text
// neutralised. Names and ids are synthetic.
#include "channels/tracking_sheet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cohortwatch::channels {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using tracking::CohortStatus;
using tracking::Date;

Date d(const char* text) {
  return *Date::parse(text);
}

const Date kAsOf = d("2026-12-01");

config::Settings settings() {
  config::Settings out;
  out.privacy.identify_by = config::IdentifyBy::kInitials;
  out.focus_groups.push_back({"looked_after", "Looked-after children", {}, 2.0});
  out.focus_groups.push_back({"age_17", "17 at the index date", {}, 1.5});
  config::AlertRuleSettings high;
  high.id = "offence_in_follow_up";
  high.name = "New offence during follow-up";
  high.severity = config::Severity::kHigh;
  out.alerts = {high};
  return out;
}

rules::MemberFacts member(const char* id, const char* cohort, CohortStatus status,
                          const char* index_date) {
  rules::MemberFacts facts;
  facts.person_id = id;
  facts.cohort_name = cohort;
  facts.cohort_status = status;
  facts.index_date = d(index_date);
  facts.follow_up.first_day = facts.index_date;
  facts.follow_up.last_day = facts.index_date.addDays(364);
  facts.days_since_index = facts.index_date.daysUntil(kAsOf);
  facts.days_to_follow_up_end = kAsOf.daysUntil(facts.follow_up.last_day);
  facts.index_outcome_type = "youth_caution";
  facts.last_review = kAsOf.addDays(-10);
  return facts;
}

tracking::PersonDetails person(const char* id, const char* first, const char* last) {
  tracking::PersonDetails details;
  details.person_id = id;
  details.first_name = first;
  details.last_name = last;
  return details;
}

tracking::Action action(long id, const char* person, const char* description, const char* due) {
  tracking::Action open;
  open.id = id;
  open.person_id = person;
  open.description = description;
  open.owner = "ann@yot.test";
  if (due != nullptr) open.due_on = d(due);
  open.notes = "agreed at panel";
  return open;
}

// As of 2026-12-01:
//   C101 (2026Q2): looked after (2.0), two open actions                        -> 2.0
//   C102 (2026Q2): 17 at index (1.5), two pending offences, one proven         -> 1.5
//   C103 (2026Q2): a high alert (2.0): ties with C101, after it by person id   -> 2.0
//   C104 (2026Q1, waiting): nothing                                             -> 0.0
//   C105 (2025Q1, complete): looked after, but not in a running cohort
class TrackingSheetTest : public ::testing::Test {
 protected:
  TrackingSheetTest() {
    table_.as_of = kAsOf;
    table_.members = {member("C105", "2025Q1", CohortStatus::kComplete, "2025-02-01"),
                      member("C104", "2026Q1", CohortStatus::kWaiting, "2026-02-10"),
                      member("C101", "2026Q2", CohortStatus::kFollowingUp, "2026-04-03"),
                      member("C102", "2026Q2", CohortStatus::kFollowingUp, "2026-05-20"),
                      member("C103", "2026Q2", CohortStatus::kFollowingUp, "2026-06-30")};
    table_.members[3].pending_offences = 2;
    table_.members[3].proven_reoffences = 1;
    focus_ = {{{"looked_after"}, 2.0}, {}, {{"looked_after"}, 2.0}, {{"age_17"}, 1.5}, {}};
    tracking::AlertRecord alert;
    alert.rule_id = "offence_in_follow_up";
    alert.person_id = "C103";
    alert.fired_on = d("2026-11-20");
    alerts_ = {alert};
    actions_ = {action(7, "C101", "Home visit", "2026-12-10"),
                action(9, "C101", "=HYPERLINK(\"http://x.test\",\"open\")", nullptr)};
    people_ = {person("C101", "Alice", "Brown"), person("C102", "Carl", "Dunn"),
               person("C103", "Eve", "Fox"), person("C104", "Gus", "Hill"),
               person("C105", "Ola", "Park")};
  }

  reports::Worksheet sheet(const std::optional<tracking::Quarter>& cohort) const {
    return trackingSheet({table_, focus_, alerts_, actions_, people_, settings_}, cohort);
  }

  static std::vector<std::string> column(const reports::Worksheet& sheet, std::size_t index) {
    std::vector<std::string> out;
    for (const auto& row : sheet.rows) {
      const auto* text = index < row.size() ? std::get_if<std::string>(&row[index]) : nullptr;
      out.push_back(text != nullptr ? *text : "");
    }
    return out;
  }

  config::Settings settings_ = settings();
  rules::MemberTable table_;
  std::vector<rules::MemberFocus> focus_;
  std::vector<tracking::AlertRecord> alerts_;
  std::vector<tracking::Action> actions_;
  std::vector<tracking::PersonDetails> people_;
};

TEST_F(TrackingSheetTest, HeaderIsTheColumnContractOfImportActions) {
  std::vector<std::string> titles;
  for (const auto& column : sheet(std::nullopt).columns) titles.push_back(column.title);
  EXPECT_THAT(titles, ElementsAre("person_id", "child", "cohort", "index_date", "index_outcome",
                                  "follow_up_start", "follow_up_end", "proven_reoffences",
                                  "pending_offences", "focus_groups", "priority", "reasons",
                                  "action_id", "action", "action_owner", "action_due",
                                  "action_status", "action_notes", "reviewed_on"));
}

TEST_F(TrackingSheetTest, OneCohortByPriorityWithARowPerOpenAction) {
  const auto q2 = sheet(tracking::Quarter{2026, 2});
  EXPECT_THAT(column(q2, 0), ElementsAre("C101", "C101", "C103", "C102"));
  EXPECT_THAT(column(q2, 1),
              ElementsAre("A.B. (C101)", "A.B. (C101)", "E.F. (C103)", "C.D. (C102)"));
  EXPECT_THAT(column(q2, 13),
              ElementsAre("Home visit", "=HYPERLINK(\"http://x.test\",\"open\")", "", ""));

  // The member's columns repeated on each action row; the action's own columns differ.
  const auto& first = q2.rows[0];
  const auto& second = q2.rows[1];
  ASSERT_EQ(first.size(), 18u);  // reviewed_on (the last column) is left empty
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(first[i], second[i]) << "column " << i;
  EXPECT_EQ(first[3], reports::SheetCell{d("2026-04-03")});
  EXPECT_EQ(first[6], reports::SheetCell{d("2027-04-02")});
  EXPECT_EQ(first[9], reports::SheetCell{std::string("Looked-after children")});
  EXPECT_EQ(first[10], reports::SheetCell{2.0});
  EXPECT_EQ(first[12], reports::SheetCell{7.0});
  EXPECT_EQ(second[12], reports::SheetCell{9.0});
  EXPECT_EQ(first[14], reports::SheetCell{std::string("ann@yot.test")});
  EXPECT_EQ(first[15], reports::SheetCell{d("2026-12-10")});
  EXPECT_EQ(second[15], reports::SheetCell{});  // no due date
  EXPECT_EQ(first[16], reports::SheetCell{std::string("open")});

  // The alert and the pending offences are reasons; no action: room for a new one.
  EXPECT_EQ(q2.rows[2][11],
            reports::SheetCell{std::string("New offence during follow-up (2026-11-20)")});
  const auto& c102 = q2.rows[3];
  EXPECT_EQ(c102[7], reports::SheetCell{1.0});
  EXPECT_EQ(c102[8], reports::SheetCell{2.0});
  EXPECT_EQ(c102[10], reports::SheetCell{1.5});
  EXPECT_THAT(std::get<std::string>(c102[11]), HasSubstr("2 pending offence(s)"));
  EXPECT_EQ(c102.size(), 12u);  // the action columns empty
}

TEST_F(TrackingSheetTest, WithoutACohortEveryRunningCohortButNotCompleteOnes) {
  EXPECT_THAT(column(sheet(std::nullopt), 0), ElementsAre("C101", "C101", "C103", "C102", "C104"));
  EXPECT_THAT(column(sheet(tracking::Quarter{2025, 1}), 0), ElementsAre("C105"));
  EXPECT_TRUE(sheet(tracking::Quarter{2024, 1}).rows.empty());
}

TEST_F(TrackingSheetTest, ClosedActionsGetNoRow) {
  actions_[0].status = "done";
  EXPECT_THAT(column(sheet(tracking::Quarter{2026, 2}), 13),
              ElementsAre("=HYPERLINK(\"http://x.test\",\"open\")", "", ""));
}

TEST_F(TrackingSheetTest, ChildIsNamedAsPrivacyAllows) {
  settings_.privacy.identify_by = config::IdentifyBy::kId;
  EXPECT_THAT(column(sheet(tracking::Quarter{2026, 2}), 1),
              ElementsAre("C101", "C101", "C103", "C102"));
}

TEST_F(TrackingSheetTest, CsvNeutralisesTheFormulaLikeAction) {
  const std::string csv = reports::worksheetCsv(sheet(tracking::Quarter{2026, 2}));
  EXPECT_THAT(csv, HasSubstr("\r\nC101,A.B. (C101),2026Q2,2026-04-03,youth_caution,2026-04-03,"
                             "2027-04-02,0,0,Looked-after children,2.0,"
                             "focus: Looked-after children,7,Home visit,ann@yot.test,"
                             "2026-12-10,open,agreed at panel,\r\n"));
  EXPECT_THAT(
      csv, HasSubstr(",9,\"'=HYPERLINK(\"\"http://x.test\"\",\"\"open\"\")\",ann@yot.test,,open,"));
  EXPECT_THAT(csv, Not(HasSubstr(",\"=HYPERLINK")));
}

}  // namespace
}  // namespace cohortwatch::channels
