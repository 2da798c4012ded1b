// Slots of cron expressions in real IANA zones across daylight-saving changes, asserted as the
// exact UTC instants (and the local wall time a user would see): Europe/London on both 2025
// changes, Australia/Sydney and America/New_York, weekdays, the day-of-month / day-of-week rule,
// leap days and expressions that can never fire.
#include "schedule/schedule_clock.h"

#include <date/date.h>
#include <date/tz.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace cohortwatch::schedule {
namespace {

using ::testing::ElementsAre;
using Instant = std::chrono::sys_seconds;

CronExpression cron(const char* text) {
  auto parsed = CronExpression::parse(text);
  if (auto* error = std::get_if<CronError>(&parsed)) {
    ADD_FAILURE() << "\"" << text << "\": " << error->message;
    return std::get<CronExpression>(CronExpression::parse("* * * * *"));
  }
  return std::get<CronExpression>(parsed);
}

const date::time_zone* zone(const char* name) {
  const date::time_zone* found = findZone(name);
  EXPECT_NE(found, nullptr) << name;
  return found;
}

// "2025-03-30T01:00:00Z"
Instant utc(const char* text) {
  std::istringstream in(text);
  Instant parsed;
  in >> date::parse("%Y-%m-%dT%H:%M:%SZ", parsed);
  EXPECT_FALSE(in.fail()) << text;
  return parsed;
}

std::string iso(Instant instant) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", instant);
}

std::string wall(const date::time_zone* in, Instant instant) {
  return date::format("%Y-%m-%d %H:%M %Z", date::make_zoned(in, instant));
}

// The first `count` slots after `after`, as UTC text.
std::vector<std::string> slots(const char* expression, const date::time_zone* in, const char* after,
                               std::size_t count) {
  const auto parsed = cron(expression);
  std::vector<std::string> out;
  Instant from = utc(after);
  while (out.size() < count) {
    const auto next = nextSlot(parsed, in, from);
    if (!next) break;
    out.push_back(iso(*next));
    from = *next;
  }
  return out;
}

// The slots in (from, to], as UTC text.
std::vector<std::string> slotsBetween(const char* expression, const date::time_zone* in,
                                      const char* from, const char* to) {
  const auto parsed = cron(expression);
  std::vector<std::string> out;
  const Instant end = utc(to);
  for (auto next = nextSlot(parsed, in, utc(from)); next && *next <= end;
       next = nextSlot(parsed, in, *next)) {
    out.push_back(iso(*next));
  }
  return out;
}

const date::time_zone* london() {
  return zone("Europe/London");
}

// --- Europe/London, 30 March 2025: 01:00 GMT becomes 02:00 BST ---

TEST(NextSlotLondon, DailyAt0130RunsOnceOnTheDayClocksGoForward) {
  // 01:30 does not exist on the 30th: the job runs when the gap ends, 02:00 BST = 01:00 UTC.
  EXPECT_THAT(slots("30 1 * * *", london(), "2025-03-28T12:00:00Z", 4),
              ElementsAre("2025-03-29T01:30:00Z",    // 01:30 GMT
                          "2025-03-30T01:00:00Z",    // 02:00 BST, the end of the gap
                          "2025-03-31T00:30:00Z",    // 01:30 BST
                          "2025-04-01T00:30:00Z"));  // 01:30 BST
  EXPECT_EQ(wall(london(), utc("2025-03-30T01:00:00Z")), "2025-03-30 02:00 BST");
}

TEST(NextSlotLondon, EveryQuarterHourAcrossTheSpringGapFiresOnceAtTheGapEnd) {
  // 01:00, 01:15, 01:30, 01:45 GMT do not exist; they and 02:00 BST all fire at 01:00 UTC, once.
  EXPECT_THAT(slots("*/15 * * * *", london(), "2025-03-30T00:30:00Z", 4),
              ElementsAre("2025-03-30T00:45:00Z", "2025-03-30T01:00:00Z", "2025-03-30T01:15:00Z",
                          "2025-03-30T01:30:00Z"));
}

TEST(NextSlotLondon, AJobInTheHourAfterTheGapIsUnaffected) {
  EXPECT_THAT(slots("30 2 * * *", london(), "2025-03-29T12:00:00Z", 2),
              ElementsAre("2025-03-30T01:30:00Z", "2025-03-31T01:30:00Z"));  // 02:30 BST
}

// --- Europe/London, 26 October 2025: 02:00 BST becomes 01:00 GMT ---

TEST(NextSlotLondon, DailyAt0130RunsOnceOnTheDayClocksGoBackAtTheFirstOccurrence) {
  EXPECT_THAT(slots("30 1 * * *", london(), "2025-10-24T12:00:00Z", 4),
              ElementsAre("2025-10-25T00:30:00Z",    // 01:30 BST
                          "2025-10-26T00:30:00Z",    // 01:30 BST, the first 01:30 of the day
                          "2025-10-27T01:30:00Z",    // 01:30 GMT
                          "2025-10-28T01:30:00Z"));  // 01:30 GMT
  EXPECT_EQ(wall(london(), utc("2025-10-26T00:30:00Z")), "2025-10-26 01:30 BST");
}

TEST(NextSlotLondon, NotAgainAtTheSecondOccurrenceEvenWhenAskedDuringTheRepeatedHour) {
  const auto daily = cron("30 1 * * *");
  // 01:15 GMT, in the repeated hour, after the 01:30 BST run: the next run is tomorrow's.
  EXPECT_EQ(iso(*nextSlot(daily, london(), utc("2025-10-26T01:15:00Z"))), "2025-10-27T01:30:00Z");
  EXPECT_EQ(iso(*nextSlot(daily, london(), utc("2025-10-26T00:30:00Z"))), "2025-10-27T01:30:00Z");
}

TEST(NextSlotLondon, EveryQuarterHourDoesNotRepeatTheRepeatedHour) {
  // Once per distinct wall time: 01:00-01:45 BST fire, 01:00-01:45 GMT do not fire again, so
  // there are 75 minutes between 01:45 BST (00:45 UTC) and 02:00 GMT (02:00 UTC).
  EXPECT_THAT(
      slotsBetween("*/15 * * * *", london(), "2025-10-25T23:30:00Z", "2025-10-26T02:15:00Z"),
      ElementsAre("2025-10-25T23:45:00Z",    // 00:45 BST
                  "2025-10-26T00:00:00Z",    // 01:00 BST
                  "2025-10-26T00:15:00Z",    // 01:15 BST
                  "2025-10-26T00:30:00Z",    // 01:30 BST
                  "2025-10-26T00:45:00Z",    // 01:45 BST
                  "2025-10-26T02:00:00Z",    // 02:00 GMT
                  "2025-10-26T02:15:00Z"));  // 02:15 GMT
}

// --- ordinary weeks ---

TEST(NextSlotLondon, WeekdaysAt0900SkipTheWeekendInWinterAndSummer) {
  // Friday 3 January 2025 after its run: Monday to Friday of the next week, 09:00 GMT.
  EXPECT_THAT(slots("0 9 * * mon-fri", london(), "2025-01-03T09:00:00Z", 6),
              ElementsAre("2025-01-06T09:00:00Z", "2025-01-07T09:00:00Z", "2025-01-08T09:00:00Z",
                          "2025-01-09T09:00:00Z", "2025-01-10T09:00:00Z", "2025-01-13T09:00:00Z"));
  // Friday 6 June 2025: 09:00 BST is 08:00 UTC.
  EXPECT_THAT(slots("0 9 * * mon-fri", london(), "2025-06-06T08:00:00Z", 2),
              ElementsAre("2025-06-09T08:00:00Z", "2025-06-10T08:00:00Z"));
  // Asked on Saturday morning: Monday.
  EXPECT_THAT(slots("0 9 * * mon-fri", london(), "2025-06-07T07:00:00Z", 1),
              ElementsAre("2025-06-09T08:00:00Z"));
}

TEST(NextSlotLondon, StrictlyAfter) {
  const auto daily = cron("0 9 * * *");
  EXPECT_EQ(iso(*nextSlot(daily, london(), utc("2025-01-15T08:59:59Z"))), "2025-01-15T09:00:00Z");
  EXPECT_EQ(iso(*nextSlot(daily, london(), utc("2025-01-15T09:00:00Z"))), "2025-01-16T09:00:00Z");
}

TEST(NextSlotLondon, EitherDayRuleWhenBothDayFieldsAreRestricted) {
  // Fridays and the 13th: Wednesday 9 July 2025 onwards. The 13th is a Sunday.
  EXPECT_THAT(slots("0 12 13 * fri", london(), "2025-07-09T00:00:00Z", 4),
              ElementsAre("2025-07-11T11:00:00Z",    // Friday
                          "2025-07-13T11:00:00Z",    // the 13th
                          "2025-07-18T11:00:00Z",    // Friday
                          "2025-07-25T11:00:00Z"));  // Friday
}

TEST(NextSlotLondon, BothDayFieldsWhenOneStartsWithAStar) {
  // Odd days of the month that are Mondays: 2025-09-01, 09-15, 09-29, then 10-13, 10-27.
  EXPECT_THAT(slots("0 12 */2 * mon", london(), "2025-08-31T00:00:00Z", 5),
              ElementsAre("2025-09-01T11:00:00Z", "2025-09-15T11:00:00Z", "2025-09-29T11:00:00Z",
                          "2025-10-13T11:00:00Z", "2025-10-27T12:00:00Z"));
}

TEST(NextSlotLondon, LeapDayIsFoundYearsAhead) {
  EXPECT_THAT(slots("0 0 29 2 *", london(), "2025-01-01T00:00:00Z", 2),
              ElementsAre("2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"));
}

TEST(NextSlotLondon, MonthlyOnThe31stSkipsShortMonths) {
  EXPECT_THAT(slots("0 6 31 * *", london(), "2025-01-31T06:00:00Z", 3),
              ElementsAre("2025-03-31T05:00:00Z",  // 06:00 BST (clocks changed on the 30th)
                          "2025-05-31T05:00:00Z", "2025-07-31T05:00:00Z"));
}

TEST(NextSlotLondon, ImpossibleExpressionsNeverFire) {
  for (const char* never : {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30 feb */2"}) {
    EXPECT_EQ(nextSlot(cron(never), london(), utc("2025-01-01T00:00:00Z")), std::nullopt) << never;
    EXPECT_EQ(previousSlot(cron(never), london(), utc("2025-01-01T00:00:00Z")), std::nullopt)
        << never;
  }
}

// --- other zones ---

TEST(NextSlotSydney, SouthernHemisphereChangesGoTheOtherWayRound) {
  const auto* sydney = zone("Australia/Sydney");
  // 6 April 2025: 03:00 AEDT (+11) becomes 02:00 AEST (+10); 02:30 happens twice, runs at the
  // first.
  EXPECT_THAT(slots("30 2 * * *", sydney, "2025-04-04T00:00:00Z", 3),
              ElementsAre("2025-04-04T15:30:00Z",    // 5 April 02:30 AEDT
                          "2025-04-05T15:30:00Z",    // 6 April 02:30 AEDT, the first 02:30
                          "2025-04-06T16:30:00Z"));  // 7 April 02:30 AEST
  // 5 October 2025: 02:00 AEST becomes 03:00 AEDT; 02:30 does not exist, runs at 03:00 AEDT.
  EXPECT_THAT(slots("30 2 * * *", sydney, "2025-10-03T00:00:00Z", 3),
              ElementsAre("2025-10-03T16:30:00Z",    // 4 October 02:30 AEST
                          "2025-10-04T16:00:00Z",    // 5 October 03:00 AEDT, the end of the gap
                          "2025-10-05T15:30:00Z"));  // 6 October 02:30 AEDT
  EXPECT_EQ(wall(sydney, utc("2025-10-04T16:00:00Z")), "2025-10-05 03:00 AEDT");
}

TEST(NextSlotNewYork, SpringForwardAt0200) {
  const auto* new_york = zone("America/New_York");
  // 9 March 2025: 02:00 EST becomes 03:00 EDT.
  EXPECT_THAT(slots("30 2 * * *", new_york, "2025-03-08T00:00:00Z", 3),
              ElementsAre("2025-03-08T07:30:00Z",    // 02:30 EST
                          "2025-03-09T07:00:00Z",    // 03:00 EDT, the end of the gap
                          "2025-03-10T06:30:00Z"));  // 02:30 EDT
}

// --- previousSlot mirrors nextSlot ---

TEST(PreviousSlot, AtOrBeforeWithTheSameDstRules) {
  const auto daily = cron("30 1 * * *");
  EXPECT_EQ(iso(*previousSlot(daily, london(), utc("2025-01-15T01:30:00Z"))),
            "2025-01-15T01:30:00Z");
  EXPECT_EQ(iso(*previousSlot(daily, london(), utc("2025-01-15T01:29:59Z"))),
            "2025-01-14T01:30:00Z");
  // During the repeated hour (01:45 GMT) the day's run was the first 01:30, at 00:30 UTC.
  EXPECT_EQ(iso(*previousSlot(daily, london(), utc("2025-10-26T01:45:00Z"))),
            "2025-10-26T00:30:00Z");
  // The nonexistent 01:30 of 30 March ran at 01:00 UTC.
  EXPECT_EQ(iso(*previousSlot(daily, london(), utc("2025-03-30T01:10:00Z"))),
            "2025-03-30T01:00:00Z");
  EXPECT_EQ(iso(*previousSlot(cron("0 0 29 2 *"), london(), utc("2028-01-01T00:00:00Z"))),
            "2024-02-29T00:00:00Z");
}

TEST(PreviousSlot, WalksBackThroughTheSameSlotsAsNextSlotWalksForward) {
  // A whole year with both changes, in two zones: nextSlot and previousSlot agree on every slot,
  // the slots strictly increase, and each shows a wall time the expression matches (or, in a
  // gap, the first wall time after it).
  for (const char* name : {"Europe/London", "Australia/Sydney"}) {
    const auto* in = zone(name);
    for (const char* text : {"17 */3 * * *", "*/20 1-3 * * *", "0 9 * * mon-fri"}) {
      const auto expression = cron(text);
      Instant previous = utc("2025-01-01T00:00:00Z");
      std::size_t count = 0;
      for (auto next = nextSlot(expression, in, previous);
           next && *next < utc("2026-01-01T00:00:00Z"); next = nextSlot(expression, in, *next)) {
        ASSERT_GT(*next, previous) << name << " " << text;
        if (count > 0) {
          ASSERT_EQ(previousSlot(expression, in, *next - std::chrono::seconds{1}), previous)
              << name << " " << text << " " << iso(*next);
        }
        ASSERT_EQ(previousSlot(expression, in, *next), *next) << name << " " << text;
        const auto local = date::floor<std::chrono::minutes>(in->to_local(*next));
        const auto day = date::floor<date::days>(local);
        const date::hh_mm_ss<std::chrono::minutes> time{local - day};
        const bool matches_wall =
            expression.matchesHour(static_cast<unsigned>(time.hours().count())) &&
            expression.matchesMinute(static_cast<unsigned>(time.minutes().count()));
        const bool just_after_gap = in->get_info(*next).begin == *next;
        EXPECT_TRUE(matches_wall || just_after_gap) << name << " " << text << " " << iso(*next);
        previous = *next;
        ++count;
      }
      EXPECT_GT(count, 200u) << name << " " << text;
    }
  }
}

TEST(FindZone, KnownAndUnknownNames) {
  EXPECT_NE(findZone("Europe/London"), nullptr);
  EXPECT_EQ(findZone("Europe/London")->name(), "Europe/London");
  EXPECT_EQ(findZone("Europe/Lundon"), nullptr);
  EXPECT_EQ(findZone(""), nullptr);
}

}  // namespace
}  // namespace cohortwatch::schedule
