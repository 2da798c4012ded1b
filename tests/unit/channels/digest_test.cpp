// The manager digest and the caseworker reminders on a worked cohort built in the test: who is on
// the review list, in which order and with which reasons (focus groups, alerts, news since the
// last digest, pending offences, follow-up ending, reviews), the new entrants, actions by owner,
// the change since the last digest, the data-quality section, the CSV attachment (formula-like
// cells neutralised), when a digest is empty, and that a caseworker only ever sees their own
// children and actions. Names and ids are synthetic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "channels/digests.h"

namespace cohortwatch::channels {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tracking::CohortStatus;
using tracking::Date;

Date d(const char* text) { return *Date::parse(text); }

const Date kAsOf = d("2026-12-01");
constexpr const char* kAnn = "ann@yot.test";
constexpr const char* kBen = "ben@yot.test";

// The settings the digest reads: focus group and alert rule names and weights, the national
// average and the privacy setting.
config::Settings workedSettings(config::IdentifyBy identify = config::IdentifyBy::kInitials) {
  config::Settings settings;
  settings.privacy.identify_by = identify;
  settings.focus_groups.push_back({"looked_after", "Looked-after children", {}, 2.0});
  settings.focus_groups.push_back({"age_17", "17 at the index date", {}, 1.5});
  config::AlertRuleSettings high;
  high.id = "offence_in_follow_up";
  high.name = "New offence during follow-up";
  high.severity = config::Severity::kHigh;
  config::AlertRuleSettings medium;
  medium.id = "no_review";
  medium.name = "Not reviewed";
  medium.severity = config::Severity::kMedium;
  config::AlertRuleSettings low;
  low.id = "team_changed";
  low.name = "Moved team";
  low.severity = config::Severity::kLow;
  settings.alerts = {high, medium, low};
  settings.national.push_back({"2026Q2", 30.0, std::nullopt, "test"});
  return settings;
}

tracking::PersonDetails person(const char* id, const char* first, const char* last,
                               const char* caseworker) {
  tracking::PersonDetails details;
  details.person_id = id;
  details.first_name = first;
  details.last_name = last;
  details.caseworker = caseworker;
  return details;
}

// One member of a cohort, reviewed recently, follow-up ending well after the as-of date.
rules::MemberFacts member(const char* id, const char* caseworker, const char* index_date,
                          const char* cohort = "2026Q2",
                          CohortStatus status = CohortStatus::kFollowingUp) {
  rules::MemberFacts facts;
  facts.person_id = id;
  facts.cohort_name = cohort;
  facts.cohort_status = status;
  facts.index_date = d(index_date);
  facts.follow_up.first_day = facts.index_date;
  facts.follow_up.last_day = facts.index_date.addDays(364);
  facts.days_since_index = facts.index_date.daysUntil(kAsOf);
  facts.days_to_follow_up_end = kAsOf.daysUntil(facts.follow_up.last_day);
  facts.caseworker = caseworker;
  facts.index_outcome_type = "youth_caution";
  facts.last_review = kAsOf.addDays(-10);
  return facts;
}

tracking::AlertRecord alert(long id, const char* rule, const char* person, const char* fired_on,
                            long event_id = 0) {
  tracking::AlertRecord record;
  record.id = id;
  record.rule_id = rule;
  record.person_id = person;
  record.fired_on = d(fired_on);
  record.event_id = event_id;
  record.deliver = "digest";
  return record;
}

tracking::OpenAction action(long id, const char* person, const char* owner, const char* due,
                            const char* description) {
  tracking::OpenAction open;
  open.id = id;
  open.person_id = person;
  open.owner = owner;
  if (due != nullptr) open.due_on = d(due);
  open.description = description;
  return open;
}

tracking::ChangeEvent event(long id, const char* kind, const char* person, const char* detail) {
  return {id, kind, person, "2026-11-26", detail, "test"};
}

// The worked cohort (2026Q2, following up, as of 2026-12-01; the last digest was on 2026-11-24):
//   C101 Alice Brown (Ann): looked after (focus 2.0), a high alert (2.0), reoffended    -> 4.0
//   C102 Carl Dunn   (Ben): 17 at index (focus 1.5), one pending offence                -> 1.5
//   C103 Eve Fox     (Ann): a medium (1.0) and a low (0.5) alert, follow-up ends in 20
//                           days, never reviewed; her name changed (not a circumstance)  -> 1.5
//   C104 Gus Hill    (Ben): nothing to review; entered the cohort on 2026-11-28
//   C107 Kim Lee     (Ben): a new offence in follow-up and a looked-after change (news) -> 1.0
//   C108 Max Nye     (Ben): only a name change: not on the list
//   C106 Ola Park    (Ann): looked after, but in a complete cohort: not on the list
// C102 and C103 tie on 1.5: the person id breaks the tie.
class DigestTest : public ::testing::Test {
 protected:
  DigestTest() : settings_(workedSettings()) { build(); }

  void build() {
    table_.as_of = kAsOf;
    table_.members.clear();
    table_.members.push_back(member("C106", kAnn, "2025-02-01", "2025Q1", CohortStatus::kComplete));
    auto alice = member("C101", kAnn, "2026-04-10");
    alice.proven_reoffences = 1;
    table_.members.push_back(alice);
    auto carl = member("C102", kBen, "2026-05-02");
    carl.pending_offences = 1;
    table_.members.push_back(carl);
    auto eve = member("C103", kAnn, "2026-06-01");
    eve.last_review.reset();
    eve.follow_up.last_day = kAsOf.addDays(20);
    eve.days_to_follow_up_end = 20;
    table_.members.push_back(eve);
    table_.members.push_back(member("C104", kBen, "2026-11-28"));
    table_.members.push_back(member("C107", kBen, "2026-05-20"));
    table_.members.push_back(member("C108", kBen, "2026-06-15"));

    focus_.assign(table_.members.size(), {});
    focus_[0] = {{"looked_after"}, 2.0};  // C106, complete cohort
    focus_[1] = {{"looked_after"}, 2.0};  // C101
    focus_[2] = {{"age_17"}, 1.5};        // C102

    people_ = {person("C101", "Alice", "Brown", kAnn), person("C102", "Carl", "Dunn", kBen),
               person("C103", "Eve", "Fox", kAnn),     person("C104", "Gus", "Hill", kBen),
               person("C106", "Ola", "Park", kAnn),    person("C107", "Kim", "Lee", kBen),
               person("C108", "Max", "Nye", kBen)};
    alerts_ = {alert(1, "offence_in_follow_up", "C101", "2026-11-25", 50),
               alert(2, "no_review", "C103", "2026-11-26"),
               alert(3, "team_changed", "C103", "2026-11-27")};
    actions_ = {action(11, "C101", kAnn, "2026-11-20", "Home visit"),
                action(12, "C103", kAnn, "2026-12-05", "Call school"),
                action(13, "C103", kAnn, "2026-12-20", "Plan for transition"),
                action(21, "C102", kBen, "2026-11-30", "Meet parent"),
                action(22, "C104", kBen, "2026-12-08", "First meeting"),
                action(23, "C107", kBen, nullptr, "Referral")};
    events_ = {
        // Alice's offence raised alert 1: not repeated as news.
        event(50, "offence_recorded", "C101",
              R"({"breach":false,"cohorts":["2026Q2"],"in_follow_up":true,"offence_id":"O1"})"),
        event(51, "offence_recorded", "C107",
              R"({"breach":false,"cohorts":["2026Q2"],"in_follow_up":true,"offence_id":"O2"})"),
        event(52, "offence_recorded", "C107",
              R"({"breach":true,"cohorts":["2026Q2"],"in_follow_up":true,"offence_id":"O3"})"),
        event(53, "person_changed", "C107", R"({"field":"looked_after","old":"0","new":"1"})"),
        event(54, "person_changed", "C103", R"({"field":"last_name","old":"Fox","new":"Fix"})"),
        event(55, "person_changed", "C108", R"({"field":"first_name","old":"Max","new":"Maxi"})")};
    last_digest_.schedule = "digest";
    last_digest_.as_of = d("2026-11-24");
    last_digest_.cohorts = {{"2026Q2", 5, 0, 0}};
  }

  DigestInputs inputs() const {
    DigestInputs in{table_, focus_, alerts_, actions_, people_, settings_, d("2026-11-24"),
                    "Weekly review"};
    in.events = events_;
    in.warnings = warnings_;
    in.rejected_pending = rejected_;
    in.last_digest = with_last_digest_ ? &last_digest_ : nullptr;
    return in;
  }

  Templates templates() const {
    auto loaded = Templates::load(settings_.notifications);
    return std::get<Templates>(loaded);
  }

  Digest digest() const { return managerDigest(templates(), inputs()); }

  config::Settings settings_;
  rules::MemberTable table_;
  std::vector<rules::MemberFocus> focus_;
  std::vector<tracking::PersonDetails> people_;
  std::vector<tracking::AlertRecord> alerts_;
  std::vector<tracking::OpenAction> actions_;
  std::vector<tracking::ChangeEvent> events_;
  std::vector<tracking::DataQualityWarning> warnings_;
  long rejected_ = 0;
  tracking::DigestSnapshot last_digest_;
  bool with_last_digest_ = true;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
    start = end + 1;
  }
  return out;
}

// The lines of the plain text between a heading and the next blank line.
std::vector<std::string> section(const std::string& text, const std::string& heading) {
  const auto all = lines(text);
  std::vector<std::string> out;
  bool in = false;
  for (const auto& line : all) {
    if (in && line.empty()) break;
    if (in) out.push_back(line);
    if (line.rfind(heading, 0) == 0) in = true;
  }
  return out;
}

TEST_F(DigestTest, ListsTheChildrenToReviewInPriorityOrderWithTheirReasons) {
  const auto result = digest();
  EXPECT_FALSE(result.empty);
  EXPECT_EQ(result.children, 4);
  EXPECT_THAT(result.email.text, Not(HasSubstr("\n\n\n")));  // no blank lines left by sections
  EXPECT_EQ(section(result.email.text, "CHILDREN TO REVIEW"),
            (std::vector<std::string>{
                "  1. A.B. (C101)  2026Q2  priority 4.0",
                "     focus: Looked-after children; New offence during follow-up (2026-11-25)",
                "  2. C.D. (C102)  2026Q2  priority 1.5",
                "     focus: 17 at the index date; 1 pending offence(s)",
                "  3. E.F. (C103)  2026Q2  priority 1.5",
                "     Not reviewed (2026-11-26); Moved team (2026-11-27); follow-up ends "
                "2026-12-21; never reviewed (183 days in the cohort)",
                "  4. K.L. (C107)  2026Q2  priority 1.0",
                "     1 new offence(s) recorded; looked-after status changed"}));
  // Not listed: nothing to review (C104), only a name change (C108), a complete cohort (C106).
  for (const char* absent : {"G.H. (C104)  2026Q2  priority", "C108", "C106"}) {
    EXPECT_THAT(result.email.text, Not(HasSubstr(absent)));
  }
  // Reasons never carry the old or new value of a change.
  EXPECT_THAT(result.email.text, Not(HasSubstr("Fix")));
  EXPECT_THAT(result.email.html, HasSubstr("<strong>K.L. (C107)</strong> (2026Q2, priority 1.0): "
                                           "1 new offence(s) recorded; looked-after status changed"));
  EXPECT_EQ(result.email.subject, "[cohortwatch] Weekly review: 4 to review, 1 new entrant(s) (2026-12-01)");
}

TEST_F(DigestTest, ShowsNewEntrantsAndActionsByOwnerWithOverdueCounts) {
  const auto text = digest().email.text;
  EXPECT_EQ(section(text, "NEW COHORT ENTRANTS SINCE 2026-11-24"),
            (std::vector<std::string>{"  G.H. (C104)  2026Q2  index date 2026-11-28 (youth_caution)"}));
  EXPECT_EQ(section(text, "ACTIONS BY OWNER"),
            (std::vector<std::string>{"  ann@yot.test: 3 open, 1 overdue",
                                      "  ben@yot.test: 3 open, 1 overdue", "Overdue:",
                                      "  A.B. (C101)  due 2026-11-20  (ann@yot.test)",
                                      "  C.D. (C102)  due 2026-11-30  (ben@yot.test)"}));
}

// An index event imported late (C108 entered on 2026-06-15, but the export holding it arrived
// after the last digest) is a new entrant too: its cohort_entry event is among the news. One for
// an earlier membership than the child's latest is not.
TEST_F(DigestTest, AnEntrantImportedLateIsNewThroughItsCohortEntryEvent) {
  events_.push_back({60, "cohort_entry", "C108", "2026-06-15", R"({"cohort":"2026Q2"})", "test"});
  events_.push_back({61, "cohort_entry", "C107", "2026-01-05", R"({"cohort":"2026Q1"})", "test"});
  const auto text = digest().email.text;
  EXPECT_EQ(section(text, "NEW COHORT ENTRANTS SINCE 2026-11-24"),
            (std::vector<std::string>{
                "  G.H. (C104)  2026Q2  index date 2026-11-28 (youth_caution)",
                "  M.N. (C108)  2026Q2  index date 2026-06-15 (youth_caution)"}));
}

TEST_F(DigestTest, SummarisesTheTrackedCohortsWithTheChangeSinceTheLastDigest) {
  const auto result = digest();
  // 2026Q2: 6 members, 1 reoffended (16.7%); the last digest had 5 and none (0.0%).
  EXPECT_EQ(section(result.email.text, "COHORTS BEING TRACKED"),
            (std::vector<std::string>{
                "Changes are since the last digest, as of 2026-11-24.",
                "  2026Q2  following_up  6 children, 1 reoffended: 16.7% (national 30.0%)",
                "     change since the last digest: +16.7 pp, 1 new reoffender, 1 new member"}));
  EXPECT_THAT(result.email.html, HasSubstr("<td style=\"padding: 2px 10px;\">+16.7 pp, 1 new "
                                           "reoffender, 1 new member</td>"));
  // What is recorded for the next digest: the running cohorts only.
  ASSERT_EQ(result.figures.size(), 1u);
  EXPECT_EQ(result.figures[0].cohort, "2026Q2");
  EXPECT_EQ(result.figures[0].members, 6);
  EXPECT_EQ(result.figures[0].reoffenders, 1);
  EXPECT_EQ(result.figures[0].reoffences, 1);

  last_digest_.cohorts = {{"2026Q2", 6, 1, 1}};
  EXPECT_THAT(digest().email.text, HasSubstr("change since the last digest: no change\n"));
  last_digest_.cohorts = {{"2026Q2", 8, 2, 3}};  // corrected at the source since
  EXPECT_THAT(digest().email.text,
              HasSubstr("change since the last digest: -8.3 pp, 1 fewer reoffender, 2 fewer members\n"));
  last_digest_.cohorts = {{"2026Q1", 8, 2, 3}};
  EXPECT_THAT(digest().email.text, HasSubstr("change since the last digest: not in the last digest\n"));
  with_last_digest_ = false;
  const auto first = digest().email.text;
  EXPECT_THAT(first, HasSubstr("change since the last digest: first digest\n"));
  EXPECT_THAT(first, Not(HasSubstr("Changes are since the last digest")));
}

TEST_F(DigestTest, CountsDataQualityWarningsOfRunningCohortsByKindWithoutPersonalData) {
  using tracking::WarningKind;
  warnings_ = {
      {WarningKind::kTurns18InFollowUp, "C103", "turns 18 on ..."},
      {WarningKind::kTurns18InFollowUp, "C106", "complete cohort: not counted"},
      {WarningKind::kOffenceWithoutOutcome, "C101", "an offence committed on 2026-01-02 ..."},
      {WarningKind::kOffenceWithoutOutcome, "C102", "an offence committed on 2026-02-03 ..."},
      {WarningKind::kOffenceWithoutOutcome, "C999", "not in a running cohort: not counted"},
      {WarningKind::kUnknownOutcomeType, "", "outcome type 'x' ..."},
      {WarningKind::kUnderAgeIndexEvent, "C998", "aged 9 ..."}};
  rejected_ = 3;
  const auto result = digest();
  EXPECT_EQ(section(result.email.text, "DATA QUALITY"),
            (std::vector<std::string>{
                "  1 index event(s) under the minimum age (a data error)",
                "  1 child(ren) turning 18 during follow-up (later offending may be missing from "
                "youth records)",
                "  2 offence(s) still without an outcome long after the offence",
                "  1 outcome type(s) stored but not in the methodology table",
                "  3 rejected row(s) waiting for review",
                "  See them with `cohortwatch report warnings` and `cohortwatch rejected list`."}));
  EXPECT_THAT(result.email.html, HasSubstr("<li>2 offence(s) still without an outcome long after the offence</li>"));
  EXPECT_THAT(result.email.html, HasSubstr("<li>3 rejected row(s) waiting for review</li>"));
  for (const char* absent : {"C998", "C999", "turns 18 on", "2026-01-02"}) {
    EXPECT_THAT(result.email.text, Not(HasSubstr(absent)));
    EXPECT_THAT(result.email.html, Not(HasSubstr(absent)));
  }
  warnings_.clear();
  rejected_ = 0;
  EXPECT_EQ(section(digest().email.text, "DATA QUALITY")[0], "  No warnings.");
}

TEST_F(DigestTest, AttachesTheReviewListAsCsvWithFormulaLikeCellsNeutralised) {
  people_[0].first_name = "=SUM(A1:A9)";
  people_[0].last_name = "";
  table_.members[1].caseworker = "@ann";
  settings_.privacy.identify_by = config::IdentifyBy::kFullName;
  const auto result = digest();
  const auto found = std::find_if(result.email.attachments.begin(), result.email.attachments.end(),
                                  [](const auto& attachment) { return attachment.content_type == "text/csv"; });
  ASSERT_NE(found, result.email.attachments.end());
  const auto& csv = *found;
  EXPECT_EQ(csv.filename, "review-list-2026-12-01.csv");
  EXPECT_EQ(lines(csv.data),
            (std::vector<std::string>{
                "rank,child,cohort,priority,index_date,follow_up_end,pending_offences,"
                "proven_reoffences,caseworker,reasons",
                "1,'=SUM(A1:A9) (C101),2026Q2,4.0,2026-04-10,2027-04-09,0,1,'@ann,"
                "focus: Looked-after children; New offence during follow-up (2026-11-25)",
                "2,Carl Dunn (C102),2026Q2,1.5,2026-05-02,2027-05-01,1,0,ben@yot.test,"
                "focus: 17 at the index date; 1 pending offence(s)",
                "3,Eve Fox (C103),2026Q2,1.5,2026-06-01,2026-12-21,0,0,ann@yot.test,"
                "Not reviewed (2026-11-26); Moved team (2026-11-27); follow-up ends 2026-12-21; "
                "never reviewed (183 days in the cohort)",
                "4,Kim Lee (C107),2026Q2,1.0,2026-05-20,2027-05-19,0,0,ben@yot.test,"
                "1 new offence(s) recorded; looked-after status changed"}));
}

TEST_F(DigestTest, IsEmptyWithNothingToReviewNoEntrantNoActionAndNoWarningAskingForAction) {
  focus_.assign(table_.members.size(), {});
  alerts_.clear();
  actions_.clear();
  events_.clear();
  table_.members[4].index_date = d("2026-11-20");  // C104 entered before the last digest
  table_.members[2].pending_offences = 0;
  auto result = digest();
  EXPECT_TRUE(result.empty);
  EXPECT_EQ(result.children, 0);
  EXPECT_TRUE(result.email.attachments.empty());
  EXPECT_THAT(result.email.text, HasSubstr("  Nobody is in a focus group, alerted about or with news since the last digest.\n\nNEW COHORT"));

  // Children turning 18 are shown but do not make a digest worth sending on their own.
  warnings_ = {{tracking::WarningKind::kTurns18InFollowUp, "C103", ""}};
  EXPECT_TRUE(digest().empty);
  warnings_.push_back({tracking::WarningKind::kUnknownOutcomeType, "", ""});
  EXPECT_FALSE(digest().empty);
  warnings_.clear();
  rejected_ = 1;
  EXPECT_FALSE(digest().empty);
  rejected_ = 0;
  actions_ = {action(11, "C101", kAnn, nullptr, "Home visit")};
  EXPECT_FALSE(digest().empty);
  actions_.clear();
  events_ = {event(51, "offence_recorded", "C107",
                   R"({"breach":false,"cohorts":["2026Q2"],"in_follow_up":true})")};
  result = digest();
  EXPECT_FALSE(result.empty);
  EXPECT_EQ(result.children, 1);
  // An offence outside the child's follow-up, or a breach, is not news.
  events_ = {event(51, "offence_recorded", "C107",
                   R"({"breach":false,"cohorts":[],"in_follow_up":false})"),
             event(52, "offence_recorded", "C107",
                   R"({"breach":true,"cohorts":["2026Q2"],"in_follow_up":true})")};
  EXPECT_TRUE(digest().empty);
  // Nor is an event whose detail cannot be read, or a change of name.
  events_ = {event(53, "offence_recorded", "C107", "not json"),
             event(54, "offence_proven", "C107", R"({"in_follow_up":"yes"})"),
             event(55, "person_changed", "C107", R"({"field":3})"),
             event(56, "person_changed", "C107", R"(["looked_after"])"),
             event(57, "person_changed", "C107", R"({"field":"first_name"})")};
  EXPECT_TRUE(digest().empty);
}

TEST_F(DigestTest, WithIdentifyByIdNoNameAppearsAnywhere) {
  settings_.privacy.identify_by = config::IdentifyBy::kId;
  const auto result = digest();
  std::vector<std::string> parts = {result.email.subject, result.email.text, result.email.html};
  for (const auto& attachment : result.email.attachments) parts.push_back(attachment.data);
  for (const auto& caseworker : {kAnn, kBen}) {
    const auto reminders = caseworkerReminders(templates(), inputs(), caseworker);
    parts.insert(parts.end(), {reminders.email.subject, reminders.email.text, reminders.email.html});
  }
  for (const auto& part : parts) {
    for (const auto& child : people_) {
      EXPECT_THAT(part, Not(HasSubstr(child.first_name)));
      EXPECT_THAT(part, Not(HasSubstr(child.last_name)));
    }
  }
  EXPECT_THAT(result.email.text, HasSubstr("  1. C101  2026Q2  priority 4.0"));
}

// Reminders: each caseworker's children and actions are interleaved with the other's above.
class ReminderTest : public DigestTest {
 protected:
  ReminderTest() {
    // Reminders show what fired since the last ones, about anybody's child.
    alerts_.push_back(alert(4, "team_changed", "C107", "2026-11-28"));
  }

  std::vector<std::string> parts(const std::string& caseworker) const {
    const auto reminders = caseworkerReminders(templates(), inputs(), caseworker);
    return {reminders.email.subject, reminders.email.text, reminders.email.html};
  }
};

TEST_F(ReminderTest, ACaseworkerSeesOnlyTheirOwnActionsDueWithinSevenDaysAndTheirOwnFlaggedChildren) {
  const auto ann = caseworkerReminders(templates(), inputs(), kAnn);
  EXPECT_FALSE(ann.empty);
  EXPECT_EQ(ann.children, 2);
  EXPECT_EQ(section(ann.email.text, "YOUR ACTIONS DUE SOON OR OVERDUE"),
            (std::vector<std::string>{
                "  A.B. (C101): Home visit (overdue by 11 day(s), 2026-11-20)",
                "  E.F. (C103): Call school (due in 4 day(s), 2026-12-05)"}));
  EXPECT_EQ(section(ann.email.text, "YOUR CHILDREN FLAGGED SINCE THE LAST REMINDERS"),
            (std::vector<std::string>{
                "  A.B. (C101)  2026Q2: focus: Looked-after children; New offence during follow-up "
                "(2026-11-25)",
                "  E.F. (C103)  2026Q2: Not reviewed (2026-11-26); Moved team (2026-11-27); follow-up "
                "ends 2026-12-21; never reviewed (183 days in the cohort)"}));

  const auto ben = caseworkerReminders(templates(), inputs(), kBen);
  EXPECT_FALSE(ben.empty);
  EXPECT_EQ(ben.children, 1);
  EXPECT_EQ(section(ben.email.text, "YOUR ACTIONS DUE SOON OR OVERDUE"),
            (std::vector<std::string>{
                "  C.D. (C102): Meet parent (overdue by 1 day(s), 2026-11-30)",
                "  G.H. (C104): First meeting (due in 7 day(s), 2026-12-08)"}));
  EXPECT_EQ(section(ben.email.text, "YOUR CHILDREN FLAGGED SINCE THE LAST REMINDERS"),
            (std::vector<std::string>{"  K.L. (C107)  2026Q2: Moved team (2026-11-28)"}));
}

TEST_F(ReminderTest, ACaseworkerNeverSeesAnotherCaseworkersChildrenOrActions) {
  const std::vector<std::string> anns = {"C101", "A.B. (", "C103", "E.F. (", "C106", "Home visit",
                                         "Call school"};
  const std::vector<std::string> bens = {"C102", "C.D. (", "C104", "G.H. (", "C107", "K.L. (", "C108",
                                         "Meet parent", "First meeting", "Referral"};
  for (const auto& part : parts(kAnn)) {
    for (const auto& other : bens) EXPECT_THAT(part, Not(HasSubstr(other)));
    EXPECT_THAT(part, Not(HasSubstr(kBen)));
  }
  for (const auto& part : parts(kBen)) {
    for (const auto& other : anns) EXPECT_THAT(part, Not(HasSubstr(other)));
    EXPECT_THAT(part, Not(HasSubstr(kAnn)));
  }
  // Not due within 7 days: not reminded.
  EXPECT_THAT(parts(kAnn)[1], Not(HasSubstr("Plan for transition")));
  // The HTML lists the same, escaped.
  EXPECT_THAT(parts(kAnn)[2], HasSubstr("<li><strong>E.F. (C103)</strong>: Call school (due in 4 day(s), 2026-12-05)</li>"));
  EXPECT_THAT(parts(kBen)[2], HasSubstr("<li><strong>K.L. (C107)</strong> (2026Q2): Moved team (2026-11-28)</li>"));
}

TEST_F(ReminderTest, NothingDueAndNobodyFlaggedIsEmpty) {
  const auto nobody = caseworkerReminders(templates(), inputs(), "cat@yot.test");
  EXPECT_TRUE(nobody.empty);
  EXPECT_EQ(nobody.children, 0);
  EXPECT_EQ(nobody.email.text,
            "Reminders for cat@yot.test, 2026-12-01\n\n"
            "YOUR ACTIONS DUE SOON OR OVERDUE\n  Nothing due in the next 7 days.\n\n"
            "YOUR CHILDREN FLAGGED SINCE THE LAST REMINDERS\n  None.\n\n"
            "--\nSent by cohortwatch (Weekly review). You receive only your own cases.\n");
  EXPECT_EQ(caseworkersOf(inputs()), (std::vector<std::string>{kAnn, kBen}));
}

}  // namespace
}  // namespace cohortwatch::channels
