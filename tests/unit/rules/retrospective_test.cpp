// The retrospective analysis on a cohort small enough to check by hand: every figure asserted
// below is worked out in the comments from the table of members, not from the code.
#include "rules/retrospective.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rules/expression.h"
#include "rules/rule_set.h"

namespace cohortwatch::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using tracking::CohortStatus;
using tracking::Date;
using tracking::Quarter;

constexpr double kTolerance = 1e-6;

Date d(const char* text) {
  return *Date::parse(text);
}
Quarter q(const char* text) {
  return *Quarter::parse(text);
}

struct Row {
  const char* id;
  const char* cohort;
  CohortStatus status;
  const char* index_date;
  int age;
  const char* gender;
  const char* ethnicity;
  std::optional<bool> looked_after;
  const char* team;
  const char* outcome_type;
  const char* outcome_group;
  std::optional<int> gravity;
  int prior;
  int reoffences;
  const char* first_reoffence;  // "" when none
};

MemberTable tableOf(const std::vector<Row>& rows) {
  MemberTable table;
  table.as_of = d("2024-11-01");
  const auto keep = [&](const char* text) -> std::string_view {
    return table.text_storage.emplace_back(text);
  };
  for (const auto& row : rows) {
    MemberFacts m;
    m.person_id = keep(row.id);
    m.cohort = q(row.cohort);
    m.cohort_status = row.status;
    m.index_date = d(row.index_date);
    m.age_at_index = row.age;
    m.gender = keep(row.gender);
    m.ethnicity = keep(row.ethnicity);
    m.looked_after = row.looked_after;
    m.team = keep(row.team);
    m.index_outcome_type = keep(row.outcome_type);
    m.index_outcome_group = keep(row.outcome_group);
    m.gravity_max = row.gravity;
    m.prior_offences = row.prior;
    m.proven_reoffences = row.reoffences;
    if (*row.first_reoffence != '\0') m.first_reoffence_date = d(row.first_reoffence);
    table.members.push_back(m);
  }
  return table;
}

constexpr auto kComplete = CohortStatus::kComplete;
constexpr auto kWaiting = CohortStatus::kWaiting;
constexpr std::optional<bool> kUnknownLa;
constexpr std::optional<int> kNoGravity;

// As of 2024-11-01: 2023Q1 is complete (its last follow-up ended 2024-03-31, proof deadline
// 2024-09-30), 2023Q2 is still waiting (until 2024-12-31).
//
// 2023Q1, 16 members, 5 reoffenders (P01, P02, P03, P04, P06) with 3+1+1+5+2 = 12 reoffences.
// The planted group: the four looked-after children (all 17, all in team "North: East", all
// entered in January) reoffended; one other child did.
// clang-format off
const std::vector<Row> kRows = {
    // id   cohort    status     index date   age gender    ethnicity  LA     team           outcome type                 group         grav prior re first reoffence
    {"P01", "2023Q1", kComplete, "2023-01-10", 17, "male",   "White",   true,  "North: East", "youth_caution",              "pre_court",  2, 0, 3, "2023-01-25"},
    {"P02", "2023Q1", kComplete, "2023-01-31", 17, "male",   "White",   true,  "North: East", "referral_order",             "first_tier", 5, 4, 1, "2023-03-31"},
    {"P03", "2023Q1", kComplete, "2023-02-28", 16, "female", "Black",   false, "South",       "youth_caution",              "pre_court",  3, 1, 1, "2024-02-28"},
    {"P04", "2023Q1", kComplete, "2023-01-20", 17, "female", "",        true,  "North: East", "youth_rehabilitation_order", "first_tier", 7, 2, 5, "2023-05-21"},
    {"P05", "2023Q1", kComplete, "2023-03-01", 15, "male",   "Asian",   false, "South",       "youth_caution",              "pre_court",  1, 0, 0, ""},
    {"P06", "2023Q1", kComplete, "2023-01-05", 17, "male",   "White",   true,  "North: East", "release_from_custody",       "custody",    8, 5, 2, "2023-10-05"},
    {"P07", "2023Q1", kComplete, "2023-03-10", 14, "",       "Mixed",   kUnknownLa, "",       "youth_caution",              "pre_court",  kNoGravity, 0, 0, ""},
    {"P08", "2023Q1", kComplete, "2023-03-20", 16, "male",   "White",   false, "South",       "referral_order",             "first_tier", 4, 3, 0, ""},
    {"P09", "2023Q1", kComplete, "2023-01-12", 13, "female", "White",   false, "North: East", "youth_caution",              "pre_court",  2, 0, 0, ""},
    {"P10", "2023Q1", kComplete, "2023-02-01", 17, "male",   "Black",   false, "South",       "referral_order",             "first_tier", 6, 1, 0, ""},
    {"P11", "2023Q1", kComplete, "2023-02-28", 12, "male",   "White",   false, "South",       "youth_caution",              "pre_court",  1, 0, 0, ""},
    {"P12", "2023Q1", kComplete, "2023-03-31", 16, "male",   "Asian",   false, "South",       "youth_conditional_caution",  "pre_court",  3, 2, 0, ""},
    {"P13", "2023Q1", kComplete, "2023-02-10", 15, "female", "White",   false, "South",       "fine",                       "first_tier", 2, 0, 0, ""},
    {"P14", "2023Q1", kComplete, "2023-03-15", 14, "male",   "Black",   false, "South",       "youth_caution",              "pre_court",  kNoGravity, 1, 0, ""},
    {"P15", "2023Q1", kComplete, "2023-02-14", 16, "male",   "White",   false, "South",       "youth_caution",              "pre_court",  2, 0, 0, ""},
    {"P16", "2023Q1", kComplete, "2023-03-03", 15, "other",  "White",   false, "South",       "referral_order",             "first_tier", 4, 1, 0, ""},
    // 2023Q2 is not complete: left out, and reported. Both reoffended; counting them would move
    // every figure.
    {"P01", "2023Q2", kWaiting,  "2023-04-03", 17, "male",   "White",   true,  "North: East", "referral_order",             "first_tier", 2, 1, 4, "2023-05-01"},
    {"P20", "2023Q2", kWaiting,  "2023-05-09", 15, "female", "White",   false, "South",       "youth_caution",              "pre_court",  1, 0, 2, "2023-07-01"},
    // 2022Q4 is complete but outside the range asked for.
    {"P30", "2022Q4", kComplete, "2022-11-11", 16, "male",   "Black",   false, "South",       "youth_caution",              "pre_court",  1, 0, 10, "2022-12-01"},
};
// clang-format on

RetrospectiveAnalysis analyse(long min_n = 30) {
  static const MemberTable table = tableOf(kRows);
  return analyseRetrospective(table, {q("2023Q1"), q("2023Q3"), min_n});
}

const Breakdown& breakdown(const RetrospectiveAnalysis& analysis, std::string_view dimension) {
  for (const auto& b : analysis.breakdowns) {
    if (b.dimension == dimension) return b;
  }
  throw std::runtime_error("no breakdown " + std::string(dimension));
}

const GroupFigures& group(const RetrospectiveAnalysis& analysis, std::string_view dimension,
                          std::string_view label) {
  for (const auto& g : breakdown(analysis, dimension).groups) {
    if (g.label == label) return g;
  }
  throw std::runtime_error("no group " + std::string(label));
}

std::vector<std::string> labels(const RetrospectiveAnalysis& analysis, std::string_view dimension) {
  std::vector<std::string> result;
  for (const auto& g : breakdown(analysis, dimension).groups) result.push_back(g.label);
  return result;
}

// n, reoffenders, reoffences of a group.
void expectCounts(const GroupFigures& g, long n, long reoffenders, long reoffences) {
  EXPECT_EQ(g.members, n) << g.label;
  EXPECT_EQ(g.reoffenders, reoffenders) << g.label;
  EXPECT_EQ(g.reoffences, reoffences) << g.label;
}

// ---------------------------------------------------------------------------------------------
// Wilson score interval. Reference values computed independently (python3, by bisection on the
// score test (p̂ - p)² = z² p (1 - p) / n, not the closed form used in the code).

TEST(WilsonIntervalTest, MatchesIndependentlyComputedValues) {
  struct Case {
    long x, n;
    double low, high;
  };
  const std::vector<Case> cases = {
      {0, 10, 0.0, 0.277532799863},
      {5, 10, 0.236593090513, 0.763406909487},
      {10, 10, 0.722467200137, 1.0},
      {81, 263, 0.255288519878, 0.366209576983},
      {1, 1, 0.206549314377, 1.0},
      {4, 5, 0.375534629763, 0.963775891368},
      {5, 16, 0.141646438548, 0.555956441653},
  };
  for (const auto& c : cases) {
    const auto interval = wilsonInterval(c.x, c.n);
    EXPECT_NEAR(interval.low, c.low, kTolerance) << c.x << " of " << c.n;
    EXPECT_NEAR(interval.high, c.high, kTolerance) << c.x << " of " << c.n;
  }
}

TEST(WilsonIntervalTest, EndsAreExactAndNoTrialsMeansNothingIsKnown) {
  EXPECT_EQ(wilsonInterval(0, 10).low, 0.0);
  EXPECT_EQ(wilsonInterval(10, 10).high, 1.0);
  EXPECT_EQ(wilsonInterval(0, 0).low, 0.0);
  EXPECT_EQ(wilsonInterval(0, 0).high, 1.0);
  EXPECT_EQ(wilsonInterval(3, 2).high, 1.0);  // impossible counts: no claim either
}

// ---------------------------------------------------------------------------------------------

TEST(RetrospectiveTest, OnlyCompleteCohortsInRangeCountAndTheOthersAreReported) {
  const auto a = analyse();
  EXPECT_THAT(a.cohorts_included, ElementsAre(q("2023Q1")));
  EXPECT_THAT(a.cohorts_not_complete, ElementsAre(q("2023Q2")));  // P01 again and P20
  EXPECT_THAT(a.quarters_without_members, ElementsAre(q("2023Q3")));
  // 2022Q4 (P30) is complete but before --from: neither included nor reported.
}

TEST(RetrospectiveTest, OverallFigures) {
  const auto a = analyse();
  // 16 members; reoffenders P01, P02, P03, P04, P06: 5; reoffences 3 + 1 + 1 + 5 + 2 = 12.
  expectCounts(a.overall, 16, 5, 12);
  EXPECT_DOUBLE_EQ(a.overall.binary_rate, 31.25);              // 5 / 16
  EXPECT_DOUBLE_EQ(a.overall.reoffences_per_reoffender, 2.4);  // 12 / 5
  EXPECT_DOUBLE_EQ(a.frequency_rate, 0.75);                    // 12 / 16
  EXPECT_NEAR(a.overall.wilson_low, 14.1646438548, 1e-4);      // 5 of 16, in %
  EXPECT_NEAR(a.overall.wilson_high, 55.5956441653, 1e-4);
}

TEST(RetrospectiveTest, BreakdownsByEveryDimension) {
  const auto a = analyse();
  std::vector<std::string> dimensions;
  for (const auto& b : a.breakdowns) dimensions.push_back(b.dimension);
  EXPECT_THAT(dimensions, ElementsAre("age_at_index", "gender", "ethnicity", "looked_after",
                                      "index_outcome_group", "index_outcome_type", "gravity_max",
                                      "prior_offences", "team", "month_of_entry"));

  // Age: 12 P11; 13 P09; 14 P07 P14; 15 P05 P13 P16; 16 P03* P08 P12 P15; 17 P01* P02* P04* P06*
  // P10 (* reoffended). 17: 4 of 5 = 80%, lift 80 / 31.25 = 2.56; 4+1+5+2 = 11 reoffences.
  EXPECT_THAT(labels(a, "age_at_index"), ElementsAre("12", "13", "14", "15", "16", "17"));
  expectCounts(group(a, "age_at_index", "17"), 5, 4, 11);
  EXPECT_DOUBLE_EQ(group(a, "age_at_index", "17").binary_rate, 80.0);
  EXPECT_DOUBLE_EQ(*group(a, "age_at_index", "17").lift, 2.56);
  EXPECT_DOUBLE_EQ(group(a, "age_at_index", "17").reoffences_per_reoffender, 2.75);  // 11 / 4
  EXPECT_NEAR(group(a, "age_at_index", "17").wilson_low, 37.5534629763, 1e-4);
  EXPECT_NEAR(group(a, "age_at_index", "17").wilson_high, 96.3775891368, 1e-4);
  expectCounts(group(a, "age_at_index", "16"), 4, 1, 1);
  EXPECT_DOUBLE_EQ(*group(a, "age_at_index", "16").lift, 0.8);  // 25 / 31.25
  expectCounts(group(a, "age_at_index", "14"), 2, 0, 0);
  EXPECT_DOUBLE_EQ(*group(a, "age_at_index", "14").lift, 0.0);

  // Gender: male P01* P02* P05 P06* P08 P10 P11 P12 P14 P15 = 3 of 10; female P03* P04* P09 P13
  // = 2 of 4; other P16; P07 not recorded -> unknown, listed last.
  EXPECT_THAT(labels(a, "gender"), ElementsAre("female", "male", "other", "unknown"));
  expectCounts(group(a, "gender", "male"), 10, 3, 6);
  EXPECT_DOUBLE_EQ(group(a, "gender", "male").binary_rate, 30.0);
  EXPECT_DOUBLE_EQ(*group(a, "gender", "male").lift, 0.96);
  expectCounts(group(a, "gender", "female"), 4, 2, 6);
  EXPECT_DOUBLE_EQ(*group(a, "gender", "female").lift, 1.6);  // 50 / 31.25
  expectCounts(group(a, "gender", "unknown"), 1, 0, 0);

  // Ethnicity: White P01* P02* P06* P08 P09 P11 P13 P15 P16 = 3 of 9; Black P03* P10 P14; Asian
  // P05 P12; Mixed P07; not recorded P04* -> unknown.
  EXPECT_THAT(labels(a, "ethnicity"), ElementsAre("Asian", "Black", "Mixed", "White", "unknown"));
  expectCounts(group(a, "ethnicity", "White"), 9, 3, 6);
  expectCounts(group(a, "ethnicity", "Black"), 3, 1, 1);
  expectCounts(group(a, "ethnicity", "unknown"), 1, 1, 5);

  // Looked after: yes P01* P02* P04* P06* = 4 of 4, 100%, lift 3.2; no: 11 members, P03 only;
  // unknown P07.
  EXPECT_THAT(labels(a, "looked_after"), ElementsAre("yes", "no", "unknown"));
  expectCounts(group(a, "looked_after", "yes"), 4, 4, 11);
  EXPECT_DOUBLE_EQ(group(a, "looked_after", "yes").binary_rate, 100.0);
  EXPECT_DOUBLE_EQ(*group(a, "looked_after", "yes").lift, 3.2);
  EXPECT_NEAR(group(a, "looked_after", "yes").wilson_low, 51.0109163545, 1e-4);
  EXPECT_DOUBLE_EQ(group(a, "looked_after", "yes").wilson_high, 100.0);
  expectCounts(group(a, "looked_after", "no"), 11, 1, 1);
  EXPECT_NEAR(group(a, "looked_after", "no").binary_rate, 100.0 / 11.0, 1e-9);
  expectCounts(group(a, "looked_after", "unknown"), 1, 0, 0);

  // Index outcome group: custody P06*; first_tier P02* P04* P08 P10 P13 P16 = 2 of 6; pre_court
  // P01* P03* P05 P07 P09 P11 P12 P14 P15 = 2 of 9.
  EXPECT_THAT(labels(a, "index_outcome_group"), ElementsAre("custody", "first_tier", "pre_court"));
  expectCounts(group(a, "index_outcome_group", "first_tier"), 6, 2, 6);
  expectCounts(group(a, "index_outcome_group", "pre_court"), 9, 2, 4);
  // Index outcome type: youth_caution P01* P03* P05 P07 P09 P11 P14 P15 = 2 of 8.
  EXPECT_THAT(labels(a, "index_outcome_type"),
              ElementsAre("fine", "referral_order", "release_from_custody", "youth_caution",
                          "youth_conditional_caution", "youth_rehabilitation_order"));
  expectCounts(group(a, "index_outcome_type", "youth_caution"), 8, 2, 4);
  expectCounts(group(a, "index_outcome_type", "referral_order"), 4, 1, 1);

  // Gravity bands: 1-2 P01* P05 P09 P11 P13 P15; 3-4 P03* P08 P12 P16; 5-6 P02* P10; 7-8 P04*
  // P06*; none recorded P07 P14.
  EXPECT_THAT(labels(a, "gravity_max"), ElementsAre("1-2", "3-4", "5-6", "7-8", "unknown"));
  expectCounts(group(a, "gravity_max", "1-2"), 6, 1, 3);
  expectCounts(group(a, "gravity_max", "3-4"), 4, 1, 1);
  expectCounts(group(a, "gravity_max", "5-6"), 2, 1, 1);
  expectCounts(group(a, "gravity_max", "7-8"), 2, 2, 7);
  expectCounts(group(a, "gravity_max", "unknown"), 2, 0, 0);

  // Prior offences: 0 P01* P05 P07 P09 P11 P13 P15; 1 P03* P10 P14 P16; 2-3 P04* P08 P12;
  // 4+ P02* P06*.
  EXPECT_THAT(labels(a, "prior_offences"), ElementsAre("0", "1", "2-3", "4+"));
  expectCounts(group(a, "prior_offences", "0"), 7, 1, 3);
  expectCounts(group(a, "prior_offences", "1"), 4, 1, 1);
  expectCounts(group(a, "prior_offences", "2-3"), 3, 1, 5);
  expectCounts(group(a, "prior_offences", "4+"), 2, 2, 3);

  // Team: "North: East" P01* P02* P04* P06* P09 = 4 of 5; South: 10 members, P03 only; P07 none.
  EXPECT_THAT(labels(a, "team"), ElementsAre("North: East", "South", "unknown"));
  expectCounts(group(a, "team", "North: East"), 5, 4, 11);
  expectCounts(group(a, "team", "South"), 10, 1, 1);
  EXPECT_DOUBLE_EQ(*group(a, "team", "South").lift, 0.32);  // 10 / 31.25

  // Month of entry: January P01* P02* P04* P06* P09; February P03* P10 P11 P13 P15; March P05 P07
  // P08 P12 P14 P16.
  EXPECT_THAT(labels(a, "month_of_entry"), ElementsAre("1", "2", "3"));
  expectCounts(group(a, "month_of_entry", "1"), 5, 4, 11);
  expectCounts(group(a, "month_of_entry", "2"), 5, 1, 1);
  expectCounts(group(a, "month_of_entry", "3"), 6, 0, 0);
}

TEST(RetrospectiveTest, TimeToFirstReoffenceInCalendarMonthsSinceIndex) {
  const auto a = analyse();
  // P01 2023-01-10 -> 2023-01-25: month 1.
  // P02 2023-01-31 -> 2023-03-31: month 2 (month 1 ends 02-28, month 2 ends 03-31, inclusive).
  // P04 2023-01-20 -> 2023-05-21: month 5 (month 4 ends 05-20).
  // P06 2023-01-05 -> 2023-10-05: month 9 (ends exactly 9 months later, inclusive).
  // P03 2023-02-28 -> 2024-02-28: month 12 (the last day of follow-up).
  // Cumulative shares of 5 reoffenders: 20% after month 1, 40% after 2, 60% after 5, 80% after
  // 9, 100% after 12.
  ASSERT_EQ(a.time_to_first_reoffence.size(), 12u);
  const std::vector<long> counts = {1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1};
  const std::vector<double> cumulative = {20, 40, 40, 40, 60, 60, 60, 60, 80, 80, 80, 100};
  for (std::size_t i = 0; i < 12; ++i) {
    const auto& m = a.time_to_first_reoffence[i];
    EXPECT_EQ(m.month, static_cast<int>(i) + 1);
    EXPECT_EQ(m.reoffenders, counts[i]) << "month " << m.month;
    EXPECT_DOUBLE_EQ(m.share, static_cast<double>(counts[i]) * 20.0) << "month " << m.month;
    EXPECT_DOUBLE_EQ(m.cumulative_share, cumulative[i]) << "month " << m.month;
  }
  EXPECT_EQ(a.time_to_first_reoffence[11].cumulative_reoffenders, 5);
}

TEST(RetrospectiveTest, Concentration) {
  const auto a = analyse();
  const auto& c = a.concentration;
  // Reoffences by member, most first: P04 5, P01 3, P06 2, P02 1, P03 1, eleven with 0.
  EXPECT_EQ(c.members, 16);
  EXPECT_EQ(c.reoffences, 12);
  // Top 5% of 16 = 0.8 -> 1 member (P04): 5 of 12 = 41.67%.
  EXPECT_EQ(c.top_5.members, 1);
  EXPECT_EQ(c.top_5.reoffences, 5);
  EXPECT_NEAR(c.top_5.share_of_reoffences, 500.0 / 12.0, 1e-9);
  // Top 10% = 1.6 -> 2 members (P04, P01): 8 of 12 = 66.67%.
  EXPECT_EQ(c.top_10.members, 2);
  EXPECT_EQ(c.top_10.reoffences, 8);
  EXPECT_NEAR(c.top_10.share_of_reoffences, 800.0 / 12.0, 1e-9);
  // Half of 12 is 6: P04 alone has 5, with P01 8 -> 2 members, 12.5% of the cohort.
  EXPECT_EQ(c.half_members, 2);
  EXPECT_EQ(c.half_reoffences, 8);
  EXPECT_DOUBLE_EQ(c.half_share_of_members, 12.5);
}

TEST(RetrospectiveTest, NoSuggestionsBelowTheMinimumGroupSize) {
  const auto a = analyse();  // min_n 30: every group here is smaller
  EXPECT_TRUE(a.suggestions.empty());
  EXPECT_TRUE(a.suggestion_notes.empty());
  EXPECT_EQ(focusGroupsYaml(a.suggestions), "focus_groups: []\n");
}

TEST(RetrospectiveTest, SuggestsGroupsWhoseIntervalLiesAboveTheOverallRate) {
  // min_n 4. Groups of 4+ members with a Wilson lower bound above 31.25%:
  //   looked_after yes   4 of 4, low 51.0%, lift 3.2
  //   age_at_index 17    4 of 5, low 37.6%, lift 2.56
  //   team North: East   4 of 5, low 37.6%, lift 2.56 (same lift and n as age: dimension order)
  //   month_of_entry 1   4 of 5, low 37.6%: no condition, a note instead
  // Not: gender female 2 of 4 (low 15.0%), first_tier 2 of 6 (low 9.7%).
  const auto a = analyse(4);
  std::vector<std::string> ids;
  for (const auto& s : a.suggestions) ids.push_back(s.id);
  EXPECT_THAT(ids, ElementsAre("looked_after", "age_17", "team_north_east"));
  EXPECT_EQ(a.suggestions[0].condition, "looked_after");
  EXPECT_EQ(a.suggestions[0].name, "Looked-after children (100.0% vs 31.2% overall, n=4)");
  EXPECT_DOUBLE_EQ(a.suggestions[0].weight, 3.2);
  EXPECT_EQ(a.suggestions[1].condition, "age_at_index == 17");
  EXPECT_DOUBLE_EQ(a.suggestions[1].weight, 2.6);  // 2.56 to one decimal
  EXPECT_EQ(a.suggestions[2].condition, "team == \"North: East\"");
  EXPECT_EQ(a.suggestions[2].name, "Team: North: East (80.0% vs 31.2% overall, n=5)");
  ASSERT_EQ(a.suggestion_notes.size(), 1u);
  EXPECT_THAT(a.suggestion_notes[0], HasSubstr("month_of_entry 1"));
}

TEST(RetrospectiveTest, SmallerMinimumAddsSmallGroupsRankedByLiftThenSize) {
  // min_n 2 adds gravity 7-8 (P04 P06, 2 of 2, low 34.2%) and 4+ prior offences (P02 P06): lift
  // 3.2 like looked_after, which ranks first on size (4 > 2).
  const auto a = analyse(2);
  std::vector<std::string> ids;
  std::vector<std::string> conditions;
  for (const auto& s : a.suggestions) {
    ids.push_back(s.id);
    conditions.push_back(s.condition);
  }
  EXPECT_THAT(ids, ElementsAre("looked_after", "gravity_7_8", "prior_offences_4_plus", "age_17",
                               "team_north_east"));
  EXPECT_THAT(conditions,
              ElementsAre("looked_after", "gravity_max between 7 and 8", "prior_offences >= 4",
                          "age_at_index == 17", "team == \"North: East\""));
}

TEST(RetrospectiveTest, FocusGroupYamlParsesBackWithItsConditionsIntact) {
  const auto a = analyse(4);
  const std::string yaml = focusGroupsYaml(a.suggestions);
  EXPECT_EQ(yaml,
            "focus_groups:\n"
            "  - id: looked_after\n"
            "    name: \"Looked-after children (100.0% vs 31.2% overall, n=4)\"\n"
            "    when: looked_after\n"
            "    weight: 3.2\n"
            "  - id: age_17\n"
            "    name: \"Aged 17 at index (80.0% vs 31.2% overall, n=5)\"\n"
            "    when: age_at_index == 17\n"
            "    weight: 2.6\n"
            "  - id: team_north_east\n"
            "    name: \"Team: North: East (80.0% vs 31.2% overall, n=5)\"\n"
            "    when: 'team == \"North: East\"'\n"
            "    weight: 2.6\n");
  const YAML::Node root = YAML::Load(yaml);
  const YAML::Node groups = root["focus_groups"];
  ASSERT_TRUE(groups.IsSequence());
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0]["when"].as<std::string>(), "looked_after");
  EXPECT_EQ(groups[1]["when"].as<std::string>(), "age_at_index == 17");
  EXPECT_EQ(groups[2]["id"].as<std::string>(), "team_north_east");
  EXPECT_EQ(groups[2]["name"].as<std::string>(), "Team: North: East (80.0% vs 31.2% overall, n=5)");
  EXPECT_EQ(groups[2]["when"].as<std::string>(), "team == \"North: East\"");
  EXPECT_DOUBLE_EQ(groups[2]["weight"].as<double>(), 2.6);
}

// Planted groups whose recorded values are awkward for ids, YAML and the condition language.
std::vector<Row> awkwardTeams() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> v;
    for (int i = 0; i < 100; ++i) v.push_back("A" + std::to_string(i));
    return v;
  }();
  // Ten members in each of the first four teams, all reoffending; sixty in "E", none: 40 of 100.
  static const std::array<const char*, 5> kTeams = {"The \"A\" team #1", "O'Brien's \"B\" unit",
                                                    "North East", "North-East", "E"};
  std::vector<Row> rows;
  for (int i = 0; i < 100; ++i) {
    const int team = std::min(i / 10, 4);
    rows.push_back({ids[static_cast<std::size_t>(i)].c_str(), "2023Q1", kComplete, "2023-02-01", 15,
                    "male", "White", false, kTeams[static_cast<std::size_t>(team)], "youth_caution",
                    "pre_court", 1, 0, team < 4 ? 1 : 0, team < 4 ? "2023-03-01" : ""});
  }
  return rows;
}

TEST(RetrospectiveTest, AwkwardValuesGetValidIdsConditionsAndYaml) {
  const MemberTable table = tableOf(awkwardTeams());
  const auto a = analyseRetrospective(table, {q("2023Q1"), q("2023Q1"), 10});
  // Each planted team: 10 of 10 (low 72.2%) above 40%, lift 2.5; equal lift and n keep the
  // breakdown's byte order: "North East", "North-East", "O'Brien's...", "The...".
  std::vector<std::string> ids;
  std::vector<std::string> conditions;
  for (const auto& s : a.suggestions) {
    ids.push_back(s.id);
    conditions.push_back(s.condition);
  }
  EXPECT_THAT(ids, ElementsAre("team_north_east", "team_north_east_2", "team_o_brien_s_b_unit",
                               "team_the_a_team_1"));
  EXPECT_THAT(conditions,
              ElementsAre("team == \"North East\"", "team == \"North-East\"",
                          R"(team == "O'Brien's \"B\" unit")", R"(team == 'The "A" team #1')"));
  const std::string yaml = focusGroupsYaml(a.suggestions);
  EXPECT_THAT(yaml, HasSubstr(R"(    when: 'team == "O''Brien''s \"B\" unit"')"
                              "\n"));
  const YAML::Node groups = YAML::Load(yaml)["focus_groups"];
  ASSERT_EQ(groups.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(groups[i]["id"].as<std::string>(), ids[i]);
    EXPECT_EQ(groups[i]["when"].as<std::string>(), conditions[i]);
    EXPECT_DOUBLE_EQ(groups[i]["weight"].as<double>(), 2.5);
  }
  EXPECT_EQ(groups[3]["name"].as<std::string>(),
            "Team: The \"A\" team #1 (100.0% vs 40.0% overall, n=10)");
}

// Every dimension's condition, compiled by the real condition language against the focus-group
// catalog and evaluated on every member, selects exactly the group it was suggested for. Each case
// plants one group of 10 reoffenders among 40 members who differ from it only in that dimension
// (and never reoffend): 10 of 50 = 20% overall, the group 100% (low 72.2%).
struct PlantedCase {
  const char* expected_id;
  const char* expected_condition;
  std::function<void(Row&, bool planted, int i)> set;
};

std::vector<Row> planted(const PlantedCase& c) {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> v;
    for (int i = 0; i < 50; ++i) v.push_back("G" + std::to_string(i));
    return v;
  }();
  std::vector<Row> rows;
  for (int i = 0; i < 50; ++i) {
    const bool in_group = i < 10;
    Row row{ids[static_cast<std::size_t>(i)].c_str(),
            "2023Q1",
            kComplete,
            "2023-02-01",
            15,
            "male",
            "White",
            false,
            "South",
            "youth_caution",
            "pre_court",
            1,
            0,
            in_group ? 1 : 0,
            in_group ? "2023-03-01" : ""};
    c.set(row, in_group, i);
    rows.push_back(row);
  }
  return rows;
}

class PlantedGroupTest : public testing::TestWithParam<PlantedCase> {};

TEST_P(PlantedGroupTest, SuggestedConditionSelectsExactlyItsGroup) {
  const MemberTable table = tableOf(planted(GetParam()));
  const auto a = analyseRetrospective(table, {q("2023Q1"), q("2023Q1"), 10});
  ASSERT_FALSE(a.suggestions.empty());
  const auto& s = a.suggestions.front();
  EXPECT_EQ(s.id, GetParam().expected_id);
  EXPECT_EQ(s.condition, GetParam().expected_condition);
  EXPECT_EQ(s.members, 10);
  for (const auto& suggestion : a.suggestions) {
    auto compiled = Expression::compile(suggestion.condition, memberCatalog());
    ASSERT_TRUE(std::holds_alternative<Expression>(compiled))
        << std::get<ExpressionError>(compiled).render(suggestion.condition);
    const auto& expression = std::get<Expression>(compiled);
    long selected = 0;
    long reoffenders = 0;
    MemberContext context;
    for (const auto& member : table.members) {
      context.setMember(member, table.as_of);
      if (expression.evaluate(context.context(table.as_of))) {
        ++selected;
        if (member.reoffended()) ++reoffenders;
      }
    }
    EXPECT_EQ(selected, suggestion.members) << suggestion.condition;
    EXPECT_EQ(reoffenders, 10) << suggestion.condition;
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryDimension, PlantedGroupTest,
    testing::Values(
        PlantedCase{"age_17", "age_at_index == 17",
                    [](Row& r, bool g, int i) { r.age = g ? 17 : 15 + i % 2; }},
        PlantedCase{"gender_female", "gender == \"female\"",
                    [](Row& r, bool g, int i) { r.gender = g ? "female" : (i % 2 ? "male" : ""); }},
        PlantedCase{"ethnicity_gypsy_or_irish_traveller",
                    "ethnicity == \"Gypsy or Irish Traveller\"",
                    [](Row& r, bool g, int i) {
                      r.ethnicity = g ? "Gypsy or Irish Traveller" : (i % 2 ? "White" : "");
                    }},
        PlantedCase{"looked_after", "looked_after",
                    [](Row& r, bool g, int i) {
                      r.looked_after = g ? std::optional<bool>(true)
                                         : (i % 2 ? std::optional<bool>(false) : std::nullopt);
                    }},
        // Not `not looked_after`: that would also take the children whose status is unknown.
        PlantedCase{"not_looked_after", "looked_after == false",
                    [](Row& r, bool g, int i) {
                      r.looked_after = g ? std::optional<bool>(false)
                                         : (i % 2 ? std::optional<bool>(true) : std::nullopt);
                    }},
        PlantedCase{"outcome_group_custody", "index_outcome_group == \"custody\"",
                    [](Row& r, bool g, int i) {
                      r.outcome_group = g ? "custody" : (i % 2 ? "pre_court" : "first_tier");
                      r.outcome_type = g ? "release_from_custody" : "youth_caution";
                    }},
        PlantedCase{"outcome_type_youth_conditional_caution",
                    "index_outcome_type == \"youth_conditional_caution\"",
                    [](Row& r, bool g, int) {
                      r.outcome_type = g ? "youth_conditional_caution" : "youth_caution";
                    }},
        PlantedCase{"gravity_3_4", "gravity_max between 3 and 4",
                    [](Row& r, bool g, int i) {
                      r.gravity = g ? std::optional<int>(3 + i % 2)
                                    : (i % 3 == 0   ? std::optional<int>(2)
                                       : i % 3 == 1 ? std::optional<int>(5)
                                                    : std::nullopt);
                    }},
        PlantedCase{"prior_offences_0", "prior_offences == 0",
                    [](Row& r, bool g, int i) { r.prior = g ? 0 : 1 + i % 4; }},
        PlantedCase{"prior_offences_1", "prior_offences == 1",
                    [](Row& r, bool g, int i) { r.prior = g ? 1 : (i % 2 ? 0 : 2); }},
        PlantedCase{"prior_offences_2_3", "prior_offences between 2 and 3",
                    [](Row& r, bool g, int i) { r.prior = g ? 2 + i % 2 : (i % 2 ? 1 : 4); }},
        PlantedCase{"prior_offences_4_plus", "prior_offences >= 4",
                    [](Row& r, bool g, int i) { r.prior = g ? 4 + 5 * (i % 2) : i % 4; }},
        PlantedCase{"team_o_brien_s_b_unit", R"(team == "O'Brien's \"B\" \\ unit")",
                    [](Row& r, bool g, int i) {
                      r.team = g ? R"(O'Brien's "B" \ unit)" : (i % 2 ? "South" : "");
                    }}));

// ---------------------------------------------------------------------------------------------
// Rendering

std::string rendered(const RetrospectiveAnalysis& a, reports::Format format, bool suggest) {
  std::ostringstream out;
  renderRetrospective(a, format, suggest, out);
  return out.str();
}

TEST(RetrospectiveRenderTest, JsonHasTheDocumentedKeys) {
  const auto json = nlohmann::json::parse(rendered(analyse(4), reports::Format::kJson, false));
  EXPECT_EQ(json["overall"]["members"], 16);
  EXPECT_EQ(json["overall"]["cohorts_not_complete"], nlohmann::json::array({"2023Q2"}));
  EXPECT_DOUBLE_EQ(json["overall"]["binary_rate"].get<double>(), 31.25);
  EXPECT_EQ(json["breakdowns"][3]["dimension"], "looked_after");
  EXPECT_EQ(json["breakdowns"][3]["groups"][0]["label"], "yes");
  EXPECT_DOUBLE_EQ(json["breakdowns"][3]["groups"][0]["lift"].get<double>(), 3.2);
  EXPECT_EQ(json["time_to_first_reoffence"].size(), 12u);
  EXPECT_DOUBLE_EQ(json["time_to_first_reoffence"][1]["cumulative_share"].get<double>(), 40.0);
  EXPECT_EQ(json["concentration"]["top_10_percent"]["members"], 2);
  EXPECT_EQ(json["concentration"]["half_of_reoffences"]["members"], 2);
  EXPECT_EQ(json["suggestions"]["min_n"], 4);
  EXPECT_EQ(json["suggestions"]["groups"][0]["id"], "looked_after");
  EXPECT_THAT(json["suggestions"]["yaml"].get<std::string>(), HasSubstr("focus_groups:\n"));
}

TEST(RetrospectiveRenderTest, TablesPerSection) {
  const auto a = analyse(4);
  const auto overall = overallTable(a);
  ASSERT_EQ(overall.rows.size(), 1u);
  EXPECT_THAT(overall.notes, testing::Contains(HasSubstr("not complete, excluded: 2023Q2")));
  // Groups: age 6 + gender 4 + ethnicity 5 + looked after 3 + outcome group 3 + outcome type 6
  // + gravity 5 + prior offences 4 + team 3 + month of entry 3 = 42.
  EXPECT_EQ(breakdownsTable(a).rows.size(), 42u);
  EXPECT_EQ(timeToFirstReoffenceTable(a).rows.size(), 12u);
  EXPECT_EQ(concentrationTable(a).rows.size(), 3u);
  EXPECT_EQ(suggestionsTable(a).rows.size(), 3u);

  const std::string text = rendered(a, reports::Format::kTable, true);
  EXPECT_THAT(text, HasSubstr("Looked after\n------------\n"));
  EXPECT_THAT(text, HasSubstr("when: 'team == \"North: East\"'"));
  EXPECT_THAT(rendered(a, reports::Format::kTable, false), Not(HasSubstr("focus_groups")));
  const std::string csv = rendered(a, reports::Format::kCsv, false);
  EXPECT_THAT(csv, HasSubstr("# concentration\r\nmeasure,members,share_of_members,"));
}

TEST(RetrospectiveRenderTest, HtmlIsAStandalonePageWithEveryValueEscaped) {
  auto rows = kRows;
  rows[0].team = "<script>alert('x')</script> & co";
  const MemberTable table = tableOf(rows);
  const auto a = analyseRetrospective(table, {q("2023Q1"), q("2023Q3"), 1});
  const std::string html = rendered(a, reports::Format::kHtml, true);
  EXPECT_THAT(html, testing::StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<h2>Time to first reoffence</h2>"));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, HasSubstr("<td class=\"num\">31.2</td>"));
  EXPECT_THAT(html, testing::EndsWith("</html>\n"));
}

}  // namespace
}  // namespace cohortwatch::rules
