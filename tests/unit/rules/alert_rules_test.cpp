// Focus groups and alert rules end to end on a real SQLite store: conditions compiled from YAML
// (errors at file, line and column), focus groups and weights on worked members, alerts fired by
// change events exactly once (also across a simulated crash mid-batch), realert windows, history
// that is not news, and the calendar rules (follow-up ending, no review, actions due and overdue).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <stdexcept>

#include "config/config_loader.h"
#include "rules/alert_evaluator.h"
#include "rules/member_table.h"
#include "rules/rule_set.h"

namespace cohortwatch::rules {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using tracking::Date;

Date d(const char* text) { return *Date::parse(text); }

// Change events the rules have not evaluated yet (after the rules' cursor).
constexpr const char* kUnevaluatedEvents =
    "SELECT count(*) FROM events WHERE id > (SELECT last_event_id FROM rules_progress)";

config::Settings loadYaml(const std::string& yaml) {
  auto loaded = config::loadConfigString(yaml, "rules.yaml");
  EXPECT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors.front().toString());
  return loaded.settings;
}

std::vector<config::ConfigError> compileErrors(const config::Settings& settings) {
  auto compiled = RuleSet::compile(settings);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&compiled)) return *errors;
  return {};
}

TEST(RuleSetCompile, ReportsTheConditionsFileLineAndColumnWithACaret) {
  const auto settings = loadYaml(
      "focus_groups:\n"
      "  - id: older\n"
      "    when: age_at_index >= 17 and lookd_after\n"  // line 3; the condition starts at column 11
      "alerts:\n"
      "  - id: entry\n"
      "    on: cohort_entry\n"
      "    when: \"gender == 17\"\n");  // quoted: the condition starts at column 12
  const auto errors = compileErrors(settings);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].file, "rules.yaml");
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_EQ(errors[0].column, 11 + 23);  // "lookd_after" is at column 24 of the condition
  EXPECT_EQ(errors[0].key_path, "focus_groups[0].when");
  EXPECT_THAT(errors[0].message, HasSubstr("lookd_after"));
  EXPECT_THAT(errors[0].message, HasSubstr("looked_after"));  // did you mean
  EXPECT_THAT(errors[0].message, HasSubstr("\n  age_at_index >= 17 and lookd_after\n"));
  EXPECT_THAT(errors[0].message, HasSubstr("\n" + std::string(2 + 23, ' ') + "^"));
  EXPECT_EQ(errors[1].line, 7);
  EXPECT_EQ(errors[1].key_path, "alerts[0].when");
  EXPECT_THAT(errors[1].toString(), ::testing::StartsWith("rules.yaml:7:"));
}

TEST(RuleSetCompile, EventFieldsAndFocusAreNotAvailableToFocusGroups) {
  const auto settings = loadYaml(
      "focus_groups:\n"
      "  - id: a\n"
      "    when: '\"x\" in focus'\n"
      "  - id: b\n"
      "    when: event.kind == \"cohort_entry\"\n");
  EXPECT_EQ(compileErrors(settings).size(), 2u);
}

TEST(AlertingConfig, UnknownRecipientsAndMissingDaysAreConfigErrors) {
  auto loaded = config::loadConfigString(
      "alerts:\n"
      "  - id: ending\n"
      "    on: follow_up_ending\n"
      "    notify: [managers, team_leads]\n",
      "a.yaml");
  ASSERT_FALSE(loaded.ok());
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_THAT(loaded.errors[0].toString(), HasSubstr("missing required key 'days'"));
  loaded = config::loadConfigString(
      "alerts:\n"
      "  - id: ending\n"
      "    on: follow_up_ending\n"
      "    days: 14d\n"
      "    notify: [managers, team_leads]\n",
      "a.yaml");
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_THAT(loaded.errors[0].toString(), HasSubstr("unknown recipient \"team_leads\""));
  EXPECT_EQ(loaded.errors[0].line, 5);
}

// A store in a temporary folder with a few children, and the YAML rules under test.
class AlertRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-rules-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    database_.path = (dir_ / "cw.db").string();
    store_ = tracking::openSqliteStore(database_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void person(const std::string& id, const char* birth, std::optional<bool> looked_after = false,
              const std::string& caseworker = "") {
    tracking::PersonRecord record;
    record.person_id = id;
    record.date_of_birth = d(birth);
    record.first_name = "Test";
    record.last_name = "Child";
    record.looked_after = looked_after;
    if (!caseworker.empty()) record.caseworker = caseworker;
    auto tx = store_->begin();
    store_->applyPerson(record, d("2025-01-01"));
    tx->commit();
  }
  void offence(const std::string& id, const std::string& person_id, const char* date,
               bool breach = false) {
    tracking::OffenceRecord record{id, person_id, d(date), "", "", std::nullopt, breach};
    auto tx = store_->begin();
    store_->applyOffence(record);
    tx->commit();
  }
  void outcome(const std::string& id, const std::string& person_id, const std::string& offence_id,
               const std::string& type, const char* date) {
    auto tx = store_->begin();
    store_->applyOutcome({id, person_id, offence_id, type, d(date)});
    tx->commit();
  }
  void event(const std::string& kind, const std::string& person_id, const std::string& date,
             const std::string& detail) {
    auto tx = store_->begin();
    store_->appendEvent({0, kind, person_id, date, detail, "test"});
    tx->commit();
  }

  // Evaluates as of `today` with the given YAML rules; returns what the sink saw.
  struct Recorded {
    std::vector<tracking::AlertRecord> alerts;
  };
  class RecordingSink : public AlertSink {
   public:
    void alertRecorded(const tracking::AlertRecord& alert, const AlertDecision&,
                       const MemberFacts&) override {
      if (fail_after >= 0 && static_cast<int>(seen.size()) >= fail_after) {
        throw std::runtime_error("simulated crash");
      }
      seen.push_back(alert);
    }
    std::vector<tracking::AlertRecord> seen;
    int fail_after = -1;
  };

  AlertCycleSummary evaluate(const std::string& yaml, const char* today, RecordingSink& sink,
                             int max_event_age_days = 30, int batch_size = 500) {
    settings_ = loadYaml(yaml);
    auto compiled = RuleSet::compile(settings_);
    auto* rules = std::get_if<RuleSet>(&compiled);
    EXPECT_NE(rules, nullptr);
    const tracking::Methodology methodology(settings_.methodology);
    table_ = loadMemberTable(*store_, methodology, d(today));
    focus_ = rules->focus(table_);
    return runAlertCycle(*store_, *rules, table_, focus_, sink, max_event_age_days, batch_size);
  }

  long count(const char* sql) {
    SQLite::Database db(database_.path);
    return static_cast<long>(db.execAndGet(sql).getInt64());
  }

  // Child A (born 2008-05-10) enters 2025Q1 with a youth caution on 2025-02-03 (DOMAIN.md).
  void childA() {
    person("A", "2008-05-10", true, "cw.a@yot.example.org");
    offence("A-O1", "A", "2025-02-01");
    outcome("A-D1", "A", "A-O1", "youth_caution", "2025-02-03");
  }

  fs::path dir_;
  config::DatabaseSettings database_;
  config::Settings settings_;
  std::unique_ptr<tracking::Store> store_;
  MemberTable table_;
  std::vector<MemberFocus> focus_;
};

constexpr const char* kOffenceRule =
    "alerts:\n"
    "  - id: offence_in_follow_up\n"
    "    on: offence_recorded\n"
    "    when: event.in_follow_up and not event.breach and looked_after\n"
    "    deliver: immediately\n";

TEST_F(AlertRulesTest, FocusGroupsAndWeightsOfWorkedMembers) {
  childA();
  person("B", "2010-01-01", false);
  offence("B-O1", "B", "2025-03-01");
  outcome("B-D1", "B", "B-O1", "referral_order", "2025-03-20");
  RecordingSink sink;
  evaluate(
      "focus_groups:\n"
      "  - {id: lac, when: looked_after, weight: 2}\n"
      "  - {id: sixteen_plus, when: age_at_index >= 16, weight: 1.5}\n"
      "  - {id: young, when: age_at_index between 10 and 15}\n",
      "2025-04-01", sink);
  ASSERT_EQ(table_.members.size(), 2u);
  // A: 16 at index, looked after. B: 15 at index.
  const auto& a = table_.members[0].person_id == "A" ? focus_[0] : focus_[1];
  const auto& b = table_.members[0].person_id == "A" ? focus_[1] : focus_[0];
  EXPECT_THAT(a.groups, ::testing::ElementsAre("lac", "sixteen_plus"));
  EXPECT_DOUBLE_EQ(a.weight, 3.5);
  EXPECT_THAT(b.groups, ::testing::ElementsAre("young"));
  EXPECT_DOUBLE_EQ(b.weight, 1.0);
}

TEST_F(AlertRulesTest, AnOffenceInFollowUpFiresOnceAndEachEventIsEvaluatedOnce) {
  childA();
  offence("A-O2", "A", "2025-06-01");
  event("offence_recorded", "A", "2025-06-01",
        R"({"breach":false,"cohorts":[],"in_follow_up":false,"offence_date":"2025-06-01","offence_id":"A-O2"})");
  offence("A-O0", "A", "2025-01-10");  // before the index date: not in follow-up
  event("offence_recorded", "A", "2025-01-10",
        R"({"breach":false,"cohorts":[],"in_follow_up":false,"offence_date":"2025-01-10","offence_id":"A-O0"})");
  RecordingSink sink;
  const auto summary = evaluate(kOffenceRule, "2025-06-10", sink);
  EXPECT_EQ(summary.events_evaluated, 2);
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].rule_id, "offence_in_follow_up");
  EXPECT_EQ(sink.seen[0].person_id, "A");
  EXPECT_EQ(sink.seen[0].cohort, "2025Q1");
  EXPECT_THAT(sink.seen[0].reasons, HasSubstr(R"("event.in_follow_up":true)"));
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 1);
  EXPECT_EQ(count(kUnevaluatedEvents), 0);

  RecordingSink again;
  const auto second = evaluate(kOffenceRule, "2025-06-10", again);
  EXPECT_EQ(second.events_evaluated, 0);
  EXPECT_TRUE(again.seen.empty());
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 1);
}

TEST_F(AlertRulesTest, ACrashMidBatchLeavesNothingAndTheRestartEvaluatesEveryEventOnce) {
  childA();
  for (int i = 0; i < 5; ++i) {
    const std::string id = "A-X" + std::to_string(i);
    const std::string date = "2025-06-0" + std::to_string(i + 1);
    offence(id, "A", date.c_str());
    event("offence_recorded", "A", date,
          R"({"breach":false,"cohorts":[],"in_follow_up":false,"offence_date":")" + date + "\"}");
  }
  const std::string every_offence =
      "alerts:\n  - {id: each, on: offence_recorded, when: event.in_follow_up, realert: 0, "
      "deliver: immediately}\n";
  RecordingSink crashing;
  crashing.fail_after = 3;  // the fourth alert's notification fails: the batch rolls back
  EXPECT_THROW(evaluate(every_offence, "2025-06-10", crashing), std::runtime_error);
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 0);
  EXPECT_EQ(count(kUnevaluatedEvents), 5);

  RecordingSink restarted;
  const auto summary = evaluate(every_offence, "2025-06-10", restarted, 30, 2);  // batches of 2
  EXPECT_EQ(summary.events_evaluated, 5);
  EXPECT_EQ(restarted.seen.size(), 5u);
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 5);
  EXPECT_EQ(count("SELECT count(DISTINCT event_id) FROM alerts"), 5);
}

TEST_F(AlertRulesTest, RealertWindowSuppressesTheSameRuleForTheSameChild) {
  childA();
  const auto add = [&](const char* id, const char* date) {
    offence(id, "A", date);
    event("offence_recorded", "A", date,
          std::string(R"({"breach":false,"offence_date":")") + date + "\"}");
  };
  const std::string rule =
      "alerts:\n  - {id: each, on: offence_recorded, when: event.in_follow_up, realert: 14d}\n";
  add("A-1", "2025-06-01");
  RecordingSink first;
  evaluate(rule, "2025-06-01", first);
  EXPECT_EQ(first.seen.size(), 1u);
  add("A-2", "2025-06-10");
  RecordingSink within;
  const auto suppressed = evaluate(rule, "2025-06-10", within);  // 9 days later
  EXPECT_TRUE(within.seen.empty());
  EXPECT_EQ(suppressed.alerts_suppressed, 1);
  add("A-3", "2025-06-15");
  RecordingSink after;
  evaluate(rule, "2025-06-15", after);  // 14 days after the first: the window has passed
  EXPECT_EQ(after.seen.size(), 1u);
  EXPECT_EQ(count("SELECT count(*) FROM alerts"), 2);
}

TEST_F(AlertRulesTest, HistoryIsNotNews) {
  childA();
  offence("A-2", "A", "2025-06-01");
  event("offence_recorded", "A", "2025-06-01", R"({"breach":false,"offence_date":"2025-06-01"})");
  RecordingSink sink;
  const auto summary = evaluate(kOffenceRule, "2025-08-01", sink, /*max_event_age_days=*/30);
  EXPECT_EQ(summary.events_evaluated, 1);  // evaluated, and done with
  EXPECT_TRUE(sink.seen.empty());
}

TEST_F(AlertRulesTest, CalendarRulesFireOnceADayAtMost) {
  childA();  // follow-up ends 2026-02-03
  SQLite::Database db(database_.path, SQLite::OPEN_READWRITE);
  db.exec(
      "INSERT INTO actions (person_ref, description, owner, due_on, recorded_by) VALUES "
      "((SELECT id FROM people WHERE person_id = 'A'), 'Check in', 'cw.a@yot.example.org', "
      "'2026-01-25', 'test'),"
      "((SELECT id FROM people WHERE person_id = 'A'), 'Call school', 'cw.a@yot.example.org', "
      "'2026-01-20', 'test')");
  db.exec(
      "INSERT INTO reviews (person_ref, reviewed_on, recorded_by) VALUES ((SELECT id FROM people "
      "WHERE person_id = 'A'), '2025-12-01', 'test')");
  const std::string rules =
      "alerts:\n"
      "  - {id: ending, on: follow_up_ending, days: 14}\n"
      "  - {id: unreviewed, on: no_review, days: 42}\n"
      "  - {id: due, on: action_due, days: 3}\n"
      "  - {id: overdue, on: action_overdue}\n";
  RecordingSink sink;
  evaluate(rules, "2026-01-22", sink);
  // 12 days to the end of follow-up; 52 days since the review; "Check in" due in 3 days;
  // "Call school" 2 days overdue.
  std::vector<std::string> fired;
  for (const auto& alert : sink.seen) fired.push_back(alert.rule_id + "/" + alert.subject);
  EXPECT_THAT(fired, ::testing::UnorderedElementsAre("ending/2025Q1", "unreviewed/",
                                                      "due/action:1", "overdue/action:2"));
  RecordingSink same_day;
  evaluate(rules, "2026-01-22", same_day);
  EXPECT_TRUE(same_day.seen.empty());
  RecordingSink next_day;
  evaluate(rules, "2026-01-23", next_day);  // still within the default 28-day realert window
  EXPECT_TRUE(next_day.seen.empty());
}

TEST_F(AlertRulesTest, EventFieldsAndChangedReachTheCondition) {
  childA();
  event("person_changed", "A", "2025-05-01", R"({"field":"looked_after","old":"false","new":"true"})");
  event("person_changed", "A", "2025-05-01", R"({"field":"team","old":"North","new":"South"})");
  RecordingSink sink;
  evaluate(
      "alerts:\n"
      "  - {id: lac_change, on: person_changed, when: 'changed(\"looked_after\")', realert: 0}\n",
      "2025-05-02", sink);
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].rule_id, "lac_change");
}

}  // namespace
}  // namespace cohortwatch::rules
