// The performance report's chart data on a small worked example, computed by hand: binary rates
// and reoffences per reoffender by cohort against the national average, cumulative shares by
// month since the index date (month m ends on the same calendar day m months later), rates by
// focus group, provisional cohorts flagged; and the HTML page around them.
#include "reports/performance_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace cohortwatch::reports {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using tracking::CohortStatus;
using tracking::Date;
using tracking::Quarter;

Date day(const char* text) {
  return *Date::parse(text);
}
Quarter quarter(const char* text) {
  return *Quarter::parse(text);
}

PerformanceMember member(const char* cohort, CohortStatus status, const char* index, int reoffences,
                         std::optional<const char*> first, std::vector<std::size_t> focus) {
  PerformanceMember m;
  m.cohort = quarter(cohort);
  m.cohort_status = status;
  m.index_date = day(index);
  m.proven_reoffences = reoffences;
  if (first) m.first_reoffence_date = day(*first);
  m.focus_groups = std::move(focus);
  return m;
}

// As of 2025-10-20: 2024Q1 is complete, 2025Q1 following up, 2025Q4 recruiting.
PerformanceInputs example() {
  PerformanceInputs inputs;
  inputs.as_of = day("2025-10-20");
  inputs.focus_group_names = {"17 at the index date", "Looked-after children"};
  inputs.national = {{"2024Q1", 35.0, 3.5, "synthetic"}};
  const auto complete = CohortStatus::kComplete;
  const auto following = CohortStatus::kFollowingUp;
  inputs.members = {
      member("2024Q1", complete, "2024-01-20", 0, std::nullopt, {}),
      // 2024-02-29 + 12 months = 2025-02-28: the last day of follow-up, so month 12 only.
      member("2024Q1", complete, "2024-02-29", 2, "2025-02-28", {0}),
      // 2025-01-10 + 1 month = 2025-02-10: counted from month 1 (the day itself included).
      member("2025Q1", following, "2025-01-10", 3, "2025-02-10", {0, 1}),
      // 2025-02-15 + 3 months = 2025-05-15 < 2025-05-16 <= 2025-06-15: from month 4.
      member("2025Q1", following, "2025-02-15", 1, "2025-05-16", {}),
      member("2025Q1", following, "2025-03-31", 0, std::nullopt, {1}),
      member("2025Q4", CohortStatus::kRecruiting, "2025-10-05", 0, std::nullopt, {0}),
  };
  return inputs;
}

std::vector<std::optional<double>> values(const ChartSeries& series) {
  std::vector<std::optional<double>> out;
  for (const auto& point : series.points) {
    if (point) {
      out.push_back(std::round(point->value * 10.0) / 10.0);
    } else {
      out.push_back(std::nullopt);
    }
  }
  return out;
}

std::vector<bool> provisional(const ChartSeries& series) {
  std::vector<bool> out;
  for (const auto& point : series.points) out.push_back(point && point->provisional);
  return out;
}

constexpr std::nullopt_t gap = std::nullopt;

TEST(PerformanceReportTest, BinaryRateByCohortAgainstTheNationalAverage) {
  const auto charts = performanceCharts(example(), quarter("2025Q4"));
  const auto& chart = charts.binary_rate;
  EXPECT_EQ(chart.kind, ChartKind::kLine);
  EXPECT_THAT(chart.categories, ElementsAre("2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1",
                                            "2025Q2", "2025Q3", "2025Q4"));
  ASSERT_EQ(chart.series.size(), 2U);
  EXPECT_EQ(chart.series[0].name, "This YOT");
  // 1 of 2; 2 of 3; 0 of 1.
  EXPECT_THAT(values(chart.series[0]), ElementsAre(50.0, gap, gap, gap, 66.7, gap, gap, 0.0));
  EXPECT_THAT(provisional(chart.series[0]),
              ElementsAre(false, false, false, false, true, false, false, true));
  EXPECT_EQ(chart.series[1].name, "National average");
  EXPECT_EQ(chart.series[1].style, LineStyle::kDashed);
  EXPECT_THAT(values(chart.series[1]), ElementsAre(35.0, gap, gap, gap, gap, gap, gap, gap));
  EXPECT_EQ(chart.y_unit, "% of cohort");
}

TEST(PerformanceReportTest, ReoffencesPerReoffenderByCohort) {
  const auto charts = performanceCharts(example(), quarter("2025Q4"));
  const auto& chart = charts.per_reoffender;
  EXPECT_EQ(chart.kind, ChartKind::kBar);
  ASSERT_EQ(chart.series.size(), 2U);
  // 2 reoffences by 1 reoffender; 4 by 2; none (0 by definition).
  EXPECT_THAT(values(chart.series[0]), ElementsAre(2.0, gap, gap, gap, 2.0, gap, gap, 0.0));
  EXPECT_THAT(values(chart.series[1]), ElementsAre(3.5, gap, gap, gap, gap, gap, gap, gap));
}

TEST(PerformanceReportTest, NoNationalSeriesWhenNoneIsConfiguredForTheQuarters) {
  auto inputs = example();
  inputs.national = {{"2022/23", 32.5, std::nullopt, "a year, not a quarter"}};
  const auto charts = performanceCharts(inputs, quarter("2025Q4"));
  EXPECT_EQ(charts.binary_rate.series.size(), 1U);
  EXPECT_EQ(charts.per_reoffender.series.size(), 1U);
}

TEST(PerformanceReportTest, AQuarterWithoutItsOwnNationalFigureTakesItsFinancialYears) {
  auto inputs = example();
  // 2024/25 is 2024Q2..2025Q1; 2025Q1's own figure wins over the year's.
  inputs.national = {{"2024/25", 32.5, std::nullopt, "year"},
                     {"2025Q1", 31.6, std::nullopt, "quarter"}};
  const auto charts = performanceCharts(inputs, quarter("2025Q4"));
  ASSERT_EQ(charts.binary_rate.series.size(), 2U);
  EXPECT_THAT(values(charts.binary_rate.series[1]),
              ElementsAre(gap, 32.5, 32.5, 32.5, 31.6, gap, gap, gap));
}

TEST(PerformanceReportTest, CumulativeShareByMonthOfTheLiveCohortAgainstEarlierOnes) {
  const auto charts = performanceCharts(example(), quarter("2025Q4"));
  const auto& chart = charts.by_month;
  ASSERT_EQ(chart.categories.size(), 13U);
  EXPECT_EQ(chart.categories.front(), "0");
  EXPECT_EQ(chart.categories.back(), "12");
  // 2025Q4 is still recruiting, so the live cohort is 2025Q1; 2024Q1 is the one earlier cohort.
  ASSERT_EQ(chart.series.size(), 2U);
  EXPECT_EQ(chart.series[0].name, "2025Q1 (live cohort)");
  EXPECT_THAT(chart.title, HasSubstr("2025Q1"));
  // The latest index date, 2025-03-31, has reached month 6 (2025-09-30) but not 7 (2025-10-31).
  EXPECT_THAT(values(chart.series[0]),
              ElementsAre(0.0, 33.3, 33.3, 33.3, 66.7, 66.7, 66.7, gap, gap, gap, gap, gap, gap));
  EXPECT_TRUE(chart.series[0].points[1]->provisional);
  EXPECT_EQ(chart.series[1].name, "2024Q1");
  EXPECT_EQ(chart.series[1].style, LineStyle::kDashed);
  EXPECT_THAT(values(chart.series[1]),
              ElementsAre(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 50.0));
  EXPECT_FALSE(chart.series[1].points[12]->provisional);
}

TEST(PerformanceReportTest, EarlierCohortsAreTheFourBeforeTheLiveOne) {
  PerformanceInputs inputs;
  inputs.as_of = day("2026-06-01");
  for (const char* cohort : {"2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2"}) {
    auto first = quarter(cohort).firstDay().toString();
    inputs.members.push_back(
        member(cohort, CohortStatus::kWaiting, first.c_str(), 0, std::nullopt, {}));
  }
  const auto charts = performanceCharts(inputs, quarter("2025Q2"));
  std::vector<std::string> names;
  for (const auto& series : charts.by_month.series) names.push_back(series.name);
  EXPECT_THAT(names, ElementsAre("2025Q2 (live cohort)", "2025Q1", "2024Q4", "2024Q3", "2024Q2"));
  // `last` bounds the cohorts: asking up to 2024Q4 makes it the live one.
  const auto earlier = performanceCharts(inputs, quarter("2024Q4"));
  EXPECT_EQ(earlier.by_month.series.front().name, "2024Q4 (live cohort)");
  EXPECT_EQ(earlier.binary_rate.categories.back(), "2024Q4");
}

TEST(PerformanceReportTest, BinaryRateByFocusGroupOverTheRecentCohorts) {
  const auto charts = performanceCharts(example(), quarter("2025Q4"));
  const auto& chart = charts.focus_groups;
  EXPECT_EQ(chart.kind, ChartKind::kBar);
  // The members of 2024Q1 and 2025Q1; the recruiting 2025Q4 member is not among them.
  EXPECT_THAT(chart.categories, ElementsAre("17 at the index date (n=2)",
                                            "Looked-after children (n=2)", "All members (n=5)"));
  ASSERT_EQ(chart.series.size(), 1U);
  EXPECT_THAT(values(chart.series[0]), ElementsAre(100.0, 50.0, 60.0));
  EXPECT_THAT(provisional(chart.series[0]), ElementsAre(true, true, true));
  EXPECT_THAT(chart.title, HasSubstr("2024Q1 to 2025Q1"));
}

TEST(PerformanceReportTest, NoMembersGivesChartsWithNoDataAndAPageStillRenders) {
  PerformanceInputs inputs;
  inputs.as_of = day("2025-10-20");
  inputs.focus_group_names = {"Looked-after children"};
  const auto charts = performanceCharts(inputs, quarter("2025Q4"));
  EXPECT_TRUE(charts.by_month.series.empty());
  EXPECT_THAT(values(charts.focus_groups.series[0]), ElementsAre(gap, gap));
  std::ostringstream page;
  renderPerformancePage("Performance", Table{}, charts, page);
  EXPECT_THAT(page.str(), HasSubstr("No data"));
}

TEST(PerformanceReportTest, PageHoldsTheSummaryAndFourInlineSvgCharts) {
  const auto charts = performanceCharts(example(), quarter("2025Q4"));
  Table summary;
  summary.columns = {{"period", "Period"}};
  summary.rows = {{std::string("2025Q1")}};
  std::ostringstream out;
  renderPerformancePage("Performance <YOT>", summary, charts, out);
  const std::string page = out.str();
  EXPECT_THAT(page, HasSubstr("<title>Performance &lt;YOT&gt;</title>"));
  EXPECT_THAT(page, HasSubstr("<td>2025Q1</td>"));
  std::size_t svgs = 0;
  for (auto at = page.find("<svg "); at != std::string::npos; at = page.find("<svg ", at + 1))
    ++svgs;
  EXPECT_EQ(svgs, 4U);
  EXPECT_THAT(page, Not(HasSubstr("<?xml")));  // inline SVG in HTML has no XML declaration
  for (const auto* chart : charts.all()) EXPECT_THAT(page, HasSubstr(chart->title));
}

}  // namespace
}  // namespace cohortwatch::reports
