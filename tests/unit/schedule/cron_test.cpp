// Cron expressions as Vixie cron reads them: every construct of the five fields, the day-of-month
// / day-of-week "either" rule, and every parse error with the field, value and column it names.
#include "schedule/cron.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cohortwatch::schedule {
namespace {

using ::testing::ElementsAre;

CronExpression cron(const char* text) {
  auto parsed = CronExpression::parse(text);
  if (auto* error = std::get_if<CronError>(&parsed)) {
    ADD_FAILURE() << "\"" << text << "\": column " << error->column << ": " << error->message;
    return std::get<CronExpression>(CronExpression::parse("* * * * *"));
  }
  return std::get<CronExpression>(parsed);
}

CronError cronError(const char* text) {
  auto parsed = CronExpression::parse(text);
  if (auto* error = std::get_if<CronError>(&parsed)) return *error;
  ADD_FAILURE() << "\"" << text << "\" parsed although it should not";
  return {};
}

std::vector<unsigned> minutes(const CronExpression& expression) {
  std::vector<unsigned> out;
  for (unsigned m = 0; m < 60; ++m) {
    if (expression.matchesMinute(m)) out.push_back(m);
  }
  return out;
}

std::vector<unsigned> hours(const CronExpression& expression) {
  std::vector<unsigned> out;
  for (unsigned h = 0; h < 24; ++h) {
    if (expression.matchesHour(h)) out.push_back(h);
  }
  return out;
}

std::vector<unsigned> months(const CronExpression& expression) {
  std::vector<unsigned> out;
  for (unsigned m = 1; m <= 12; ++m) {
    if (expression.matchesMonth(m)) out.push_back(m);
  }
  return out;
}

// Weekdays (0 = Sunday) matched in January on the 15th (for expressions that leave the day of
// the month unrestricted).
std::vector<unsigned> weekdays(const CronExpression& expression) {
  std::vector<unsigned> out;
  for (unsigned w = 0; w < 7; ++w) {
    if (expression.matchesDay(1, 15, w)) out.push_back(w);
  }
  return out;
}

constexpr unsigned kSunday = 0;
constexpr unsigned kMonday = 1;
constexpr unsigned kTuesday = 2;
constexpr unsigned kWednesday = 3;
constexpr unsigned kFriday = 5;
constexpr unsigned kSaturday = 6;

// --- what parses and what it matches ---

TEST(CronParse, StarMatchesEveryValue) {
  const auto every = cron("* * * * *");
  EXPECT_EQ(minutes(every).size(), 60u);
  EXPECT_EQ(hours(every).size(), 24u);
  EXPECT_EQ(months(every).size(), 12u);
  EXPECT_THAT(weekdays(every), ElementsAre(0u, 1u, 2u, 3u, 4u, 5u, 6u));
  EXPECT_TRUE(every.matchesDay(2, 29, kSunday));
  EXPECT_TRUE(every.matchesDay(12, 31, kSaturday));
}

TEST(CronParse, NumbersMatchOneValue) {
  const auto daily = cron("30 1 * * *");
  EXPECT_THAT(minutes(daily), ElementsAre(30u));
  EXPECT_THAT(hours(daily), ElementsAre(1u));
  const auto new_years_eve = cron("0 0 31 12 *");
  EXPECT_THAT(months(new_years_eve), ElementsAre(12u));
  EXPECT_TRUE(new_years_eve.matchesDay(12, 31, kWednesday));
  EXPECT_FALSE(new_years_eve.matchesDay(12, 30, kTuesday));
}

TEST(CronParse, RangesAreInclusive) {
  EXPECT_THAT(hours(cron("0 9-17 * * *")), ElementsAre(9u, 10u, 11u, 12u, 13u, 14u, 15u, 16u, 17u));
  EXPECT_THAT(minutes(cron("5-5 * * * *")), ElementsAre(5u));
}

TEST(CronParse, StepsCountFromTheStartOfTheStarOrRange) {
  EXPECT_THAT(minutes(cron("*/15 * * * *")), ElementsAre(0u, 15u, 30u, 45u));
  EXPECT_THAT(hours(cron("0 8-18/4 * * *")), ElementsAre(8u, 12u, 16u));
  EXPECT_THAT(months(cron("0 0 1 */5 *")), ElementsAre(1u, 6u, 11u));
  EXPECT_THAT(weekdays(cron("0 0 * * 1-5/2")), ElementsAre(1u, 3u, 5u));
}

TEST(CronParse, ListsCombineAnyElements) {
  EXPECT_THAT(minutes(cron("1-3,10,*/20 * * * *")), ElementsAre(0u, 1u, 2u, 3u, 10u, 20u, 40u));
  EXPECT_THAT(hours(cron("0 9,12,17 * * *")), ElementsAre(9u, 12u, 17u));
}

TEST(CronParse, MonthNamesInAnyCaseAlsoInRangesAndLists) {
  EXPECT_THAT(months(cron("0 0 1 jan,Jul,DEC *")), ElementsAre(1u, 7u, 12u));
  EXPECT_THAT(months(cron("0 0 1 mar-may *")), ElementsAre(3u, 4u, 5u));
  EXPECT_THAT(months(cron("0 0 1 feb-4 *")), ElementsAre(2u, 3u, 4u));
}

TEST(CronParse, DayNamesInAnyCaseAlsoInRanges) {
  EXPECT_THAT(weekdays(cron("0 9 * * mon-fri")), ElementsAre(1u, 2u, 3u, 4u, 5u));
  EXPECT_THAT(weekdays(cron("0 9 * * MON-Fri")), ElementsAre(1u, 2u, 3u, 4u, 5u));
  EXPECT_THAT(weekdays(cron("0 9 * * sun,wed")), ElementsAre(0u, 3u));
}

TEST(CronParse, ZeroAndSevenAreBothSunday) {
  EXPECT_THAT(weekdays(cron("0 0 * * 0")), ElementsAre(kSunday));
  EXPECT_THAT(weekdays(cron("0 0 * * 7")), ElementsAre(kSunday));
  EXPECT_THAT(weekdays(cron("0 0 * * 5-7")), ElementsAre(kSunday, kFriday, kSaturday));
  // Sunday closing a named range is day 7, so the weekend reads as written.
  EXPECT_THAT(weekdays(cron("0 0 * * sat-sun")), ElementsAre(kSunday, kSaturday));
  EXPECT_THAT(weekdays(cron("0 0 * * fri-sun")), ElementsAre(kSunday, kFriday, kSaturday));
}

TEST(CronParse, EitherDayFieldMatchesWhenBothAreRestricted) {
  // The 1st of each month and every Monday (Vixie cron).
  const auto either = cron("0 9 1 * mon");
  EXPECT_TRUE(either.matchesDay(5, 1, kTuesday));    // the 1st, not a Monday
  EXPECT_TRUE(either.matchesDay(5, 12, kMonday));    // a Monday, not the 1st
  EXPECT_FALSE(either.matchesDay(5, 13, kTuesday));  // neither
}

TEST(CronParse, BothDayFieldsMustMatchWhenOneIsUnrestricted) {
  EXPECT_TRUE(cron("0 9 1-7 * *").matchesDay(5, 3, kSaturday));
  EXPECT_FALSE(cron("0 9 1-7 * *").matchesDay(5, 8, kMonday));
  EXPECT_TRUE(cron("0 9 * * mon").matchesDay(5, 12, kMonday));
  EXPECT_FALSE(cron("0 9 * * mon").matchesDay(5, 13, kTuesday));
  // A field starting with `*` counts as unrestricted even with a step, as in Vixie cron and
  // cronie: odd days of the month that are Mondays, not odd days or Mondays.
  const auto odd_mondays = cron("0 9 */2 * mon");
  EXPECT_TRUE(odd_mondays.matchesDay(5, 5, kMonday));
  EXPECT_FALSE(odd_mondays.matchesDay(5, 12, kMonday));
  EXPECT_FALSE(odd_mondays.matchesDay(5, 7, kWednesday));
}

TEST(CronParse, MonthRestrictsBothDayRules) {
  const auto either = cron("0 9 1 jun mon");
  EXPECT_FALSE(either.matchesDay(5, 1, kTuesday));
  EXPECT_FALSE(either.matchesDay(5, 12, kMonday));
  EXPECT_TRUE(either.matchesDay(6, 9, kMonday));
}

TEST(CronParse, BlanksBetweenAndAroundFieldsAreIgnored) {
  const auto spaced = cron("  0\t9   * *  mon-fri \t");
  EXPECT_EQ(spaced.text(), "0\t9   * *  mon-fri");
  EXPECT_THAT(hours(spaced), ElementsAre(9u));
}

TEST(CronParse, KnowsWhichExpressionsCanNeverFire) {
  EXPECT_FALSE(cron("0 0 30 2 *").canEverFire());
  EXPECT_FALSE(cron("0 0 31 4,6,9,11 *").canEverFire());
  EXPECT_FALSE(cron("0 0 30-31 feb */2").canEverFire());
  EXPECT_TRUE(cron("0 0 29 2 *").canEverFire());
  EXPECT_TRUE(cron("0 0 31 4,5 *").canEverFire());
  // Both day fields restricted: every Monday in February also matches.
  EXPECT_TRUE(cron("0 0 30 2 mon").canEverFire());
}

// --- errors: field, value and 1-based column ---

struct ErrorCase {
  const char* text;
  std::size_t column;
  const char* message;
};

class CronParseError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(CronParseError, NamesFieldValueAndColumn) {
  const ErrorCase& expected = GetParam();
  const CronError error = cronError(expected.text);
  EXPECT_EQ(error.message, expected.message) << '"' << expected.text << '"';
  EXPECT_EQ(error.column, expected.column) << '"' << expected.text << '"';
}

INSTANTIATE_TEST_SUITE_P(
    EveryError, CronParseError,
    ::testing::Values(
        // field count
        ErrorCase{"", 1,
                  "empty cron expression: expected 5 fields (minute hour day-of-month "
                  "month day-of-week)"},
        ErrorCase{"   ", 1,
                  "empty cron expression: expected 5 fields (minute hour "
                  "day-of-month month day-of-week)"},
        ErrorCase{"* * * *", 8,
                  "expected 5 fields (minute hour day-of-month month "
                  "day-of-week), found 4"},
        ErrorCase{"* * * * * *", 11,
                  "expected 5 fields (minute hour day-of-month month "
                  "day-of-week), found 6"},
        ErrorCase{"@daily", 1,
                  "'@daily' shortcuts are not supported: write the 5 fields "
                  "(minute hour day-of-month month day-of-week)"},
        // out of range, every field, both ends
        ErrorCase{"60 * * * *", 1, "minute: 60 is out of range 0-59"},
        ErrorCase{"0 24 * * *", 3, "hour: 24 is out of range 0-23"},
        ErrorCase{"  0 24 * * *", 5, "hour: 24 is out of range 0-23"},
        ErrorCase{"0 0 0 * *", 5, "day-of-month: 0 is out of range 1-31"},
        ErrorCase{"0 0 32 * *", 5, "day-of-month: 32 is out of range 1-31"},
        ErrorCase{"0 0 1 0 *", 7, "month: 0 is out of range 1-12"},
        ErrorCase{"0 0 1 13 *", 7, "month: 13 is out of range 1-12"},
        ErrorCase{"0 0 * * 8", 9, "day-of-week: 8 is out of range 0-7"},
        ErrorCase{"0 9-24 * * *", 5, "hour: 24 is out of range 0-23"},
        ErrorCase{"0,99999999999 * * * *", 3, "minute: 99999999999 is out of range 0-59"},
        // steps
        ErrorCase{"*/0 * * * *", 3, "minute: step 0 is out of range 1-59"},
        ErrorCase{"*/60 * * * *", 3, "minute: step 60 is out of range 1-59"},
        ErrorCase{"0 */24 * * *", 5, "hour: step 24 is out of range 1-23"},
        ErrorCase{"0 0 * * */7", 11, "day-of-week: step 7 is out of range 1-6"},
        ErrorCase{"0 */x * * *", 5, "hour: step 'x' is not a number"},
        ErrorCase{"*/ * * * *", 3, "minute: missing step after '/'"},
        ErrorCase{"5/10 * * * *", 2,
                  "minute: a step needs '*' or a range before '/' (write 5-59/10)"},
        ErrorCase{"*/5/2 * * * *", 4, "minute: unexpected '/' after '*/5'"},
        // ranges
        ErrorCase{"0 17-9 * * *", 3, "hour: range 17-9 runs backwards"},
        ErrorCase{"0 9 * * fri-mon", 9, "day-of-week: range fri-mon runs backwards"},
        ErrorCase{"0 9 * dec-jan *", 7, "month: range dec-jan runs backwards"},
        ErrorCase{"1-2-3 * * * *", 4, "minute: unexpected '-' after '1-2'"},
        ErrorCase{"*-5 * * * *", 2, "minute: unexpected '-' after '*'"},
        ErrorCase{"1- * * * *", 3, "minute: expected a number after '-'"},
        ErrorCase{"-1 * * * *", 1, "minute: expected a number, found '-'"},
        // names and other words
        ErrorCase{"0 9 * foo *", 7, "month: 'foo' is not a number or a month name (jan-dec)"},
        ErrorCase{"0 9 * * monday", 9,
                  "day-of-week: 'monday' is not a number or a day name (sun-sat)"},
        ErrorCase{"0 mon * * *", 3, "hour: 'mon' is not a number"},
        ErrorCase{"0 9 * jan-foo *", 11, "month: 'foo' is not a number or a month name (jan-dec)"},
        ErrorCase{"5a * * * *", 1, "minute: '5a' is not a number"},
        ErrorCase{"0 9 ? * *", 5, "day-of-month: expected a number, found '?'"},
        // lists
        ErrorCase{"1,,2 * * * *", 3, "minute: empty list element"},
        ErrorCase{"1, * * * *", 3, "minute: empty list element"},
        ErrorCase{"0 9 * * ,mon", 9, "day-of-week: empty list element"}));

}  // namespace
}  // namespace cohortwatch::schedule
