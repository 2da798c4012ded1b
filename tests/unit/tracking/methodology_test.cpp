// Calendar rules of the methodology: dates, ages, quarters, financial years, follow-up, status.
#include "tracking/methodology.h"

#include <gtest/gtest.h>

namespace cohortwatch::tracking {
namespace {

Date d(const char* text) { return *Date::parse(text); }

TEST(DateTest, ParsesOnlyRealIsoDates) {
  EXPECT_EQ(d("2024-02-29").toString(), "2024-02-29");
  EXPECT_FALSE(Date::parse("2025-02-29"));
  EXPECT_FALSE(Date::parse("2025-13-01"));
  EXPECT_FALSE(Date::parse("31/01/2025"));
  EXPECT_FALSE(Date::parse("2025-1-01"));
  EXPECT_FALSE(Date::parse("2025-01-01T00:00"));
  EXPECT_FALSE(Date::parse(""));
}

TEST(DateTest, AddMonthsClampsToTheEndOfShortMonths) {
  EXPECT_EQ(d("2024-02-29").addMonths(12), d("2025-02-28"));
  EXPECT_EQ(d("2024-02-29").addMonths(48), d("2028-02-29"));
  EXPECT_EQ(d("2025-08-31").addMonths(6), d("2026-02-28"));
  EXPECT_EQ(d("2025-02-03").addMonths(12), d("2026-02-03"));
  EXPECT_EQ(d("2025-12-15").addMonths(1), d("2026-01-15"));
  EXPECT_EQ(d("2025-01-15").addMonths(-1), d("2024-12-15"));
}

TEST(DateTest, AgeInWholeYears) {
  EXPECT_EQ(ageOn(d("2008-05-10"), d("2025-02-03")), 16);
  EXPECT_EQ(ageOn(d("2008-05-10"), d("2025-05-09")), 16);
  EXPECT_EQ(ageOn(d("2008-05-10"), d("2025-05-10")), 17);
  EXPECT_EQ(ageOn(d("2008-02-29"), d("2025-02-28")), 16);
  EXPECT_EQ(ageOn(d("2008-02-29"), d("2025-03-01")), 17);
  EXPECT_EQ(ageOn(d("2008-02-29"), d("2024-02-29")), 16);
}

TEST(QuarterTest, NamesBoundsAndParsing) {
  const Quarter q = *Quarter::parse("2025Q1");
  EXPECT_EQ(q.firstDay(), d("2025-01-01"));
  EXPECT_EQ(q.lastDay(), d("2025-03-31"));
  EXPECT_EQ(Quarter::containing(d("2025-12-31")).name(), "2025Q4");
  EXPECT_EQ(Quarter::containing(d("2025-04-01")).name(), "2025Q2");
  EXPECT_EQ(Quarter::parse("2024Q4")->next().name(), "2025Q1");
  EXPECT_EQ(Quarter::parse("2024Q1")->lastDay(), d("2024-03-31"));
  EXPECT_FALSE(Quarter::parse("2025Q5"));
  EXPECT_FALSE(Quarter::parse("2025Q0"));
  EXPECT_FALSE(Quarter::parse("25Q1"));
  EXPECT_FALSE(Quarter::parse("2025-Q1"));
}

TEST(FinancialYearTest, IsFourQuartersFromApril) {
  const auto year = FinancialYear::parse("2024/25");
  ASSERT_TRUE(year);
  const auto quarters = year->quarters();
  EXPECT_EQ(quarters[0].name(), "2024Q2");
  EXPECT_EQ(quarters[3].name(), "2025Q1");
  EXPECT_EQ(year->name(), "2024/25");
  EXPECT_EQ(FinancialYear::parse("1999/00")->name(), "1999/00");
  EXPECT_FALSE(FinancialYear::parse("2024/26"));
  EXPECT_FALSE(FinancialYear::parse("2024-25"));
}

TEST(MethodologyTest, FollowUpStartsTheDayAfterIndexAndEndsTwelveMonthsLater) {
  Methodology methodology{config::MethodologySettings{}};
  const auto window = methodology.followUp(d("2025-02-03"));
  EXPECT_EQ(window.first_day, d("2025-02-04"));
  EXPECT_EQ(window.last_day, d("2026-02-03"));
  EXPECT_EQ(window.proof_deadline, d("2026-08-03"));
  EXPECT_FALSE(window.contains(d("2025-02-03")));
  EXPECT_TRUE(window.contains(d("2026-02-03")));
  EXPECT_FALSE(window.contains(d("2026-02-04")));
}

TEST(MethodologyTest, StatusTransitionsOnTheExactDays) {
  Methodology methodology{config::MethodologySettings{}};
  const Quarter q = *Quarter::parse("2025Q1");
  EXPECT_EQ(methodology.status(q, d("2024-12-31")), CohortStatus::kNotStarted);
  EXPECT_EQ(methodology.status(q, d("2025-01-01")), CohortStatus::kRecruiting);
  EXPECT_EQ(methodology.status(q, d("2025-03-31")), CohortStatus::kRecruiting);
  EXPECT_EQ(methodology.status(q, d("2025-04-01")), CohortStatus::kFollowingUp);
  EXPECT_EQ(methodology.status(q, d("2026-03-31")), CohortStatus::kFollowingUp);
  EXPECT_EQ(methodology.status(q, d("2026-04-01")), CohortStatus::kWaiting);
  EXPECT_EQ(methodology.status(q, d("2026-09-30")), CohortStatus::kWaiting);
  EXPECT_EQ(methodology.status(q, d("2026-10-01")), CohortStatus::kComplete);
}

TEST(MethodologyTest, AgeRangeIsTenToSeventeenByDefault) {
  Methodology methodology{config::MethodologySettings{}};
  EXPECT_FALSE(methodology.inAgeRange(9));
  EXPECT_TRUE(methodology.inAgeRange(10));
  EXPECT_TRUE(methodology.inAgeRange(17));
  EXPECT_FALSE(methodology.inAgeRange(18));
}

TEST(MethodologyTest, DefaultOutcomeTableMatchesDomain) {
  const config::MethodologySettings settings;
  EXPECT_EQ(settings.outcome_types.size(), 17u);
  const auto* caution = settings.findOutcomeType("youth_caution");
  ASSERT_NE(caution, nullptr);
  EXPECT_TRUE(caution->proves && caution->index_event);
  const auto* dto = settings.findOutcomeType("detention_training_order");
  EXPECT_TRUE(dto->proves);
  EXPECT_FALSE(dto->index_event);
  const auto* release = settings.findOutcomeType("release_from_custody");
  EXPECT_FALSE(release->proves);
  EXPECT_TRUE(release->index_event);
  for (const char* code : {"community_resolution", "outcome_22", "no_further_action", "triage"}) {
    EXPECT_FALSE(settings.findOutcomeType(code)->proves) << code;
    EXPECT_FALSE(settings.findOutcomeType(code)->index_event) << code;
  }
  EXPECT_EQ(settings.findOutcomeType("caution"), nullptr);
}

}  // namespace
}  // namespace cohortwatch::tracking
