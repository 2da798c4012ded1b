// The restart decision with an injected `now`: a missed slot is sent once at start when it is at
// most catch_up late, otherwise it is skipped and listed for the log; only the latest of several
// missed slots is sent; nothing at or before the last fired slot is ever sent again.
#include "schedule/catch_up.h"

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
using ::testing::IsEmpty;
using Instant = std::chrono::sys_seconds;

CronExpression cron(const char* text) {
  return std::get<CronExpression>(CronExpression::parse(text));
}

Instant utc(const char* text) {
  std::istringstream in(text);
  Instant parsed;
  in >> date::parse("%Y-%m-%dT%H:%M:%SZ", parsed);
  EXPECT_FALSE(in.fail()) << text;
  return parsed;
}

std::string iso(std::optional<Instant> instant) {
  return instant ? date::format("%Y-%m-%dT%H:%M:%SZ", *instant) : "none";
}

std::vector<std::string> isos(const std::vector<Instant>& instants) {
  std::vector<std::string> out;
  out.reserve(instants.size());
  for (const Instant i : instants) out.push_back(iso(i));
  return out;
}

const date::time_zone* london() {
  return findZone("Europe/London");
}

// The morning digest at 09:00 London time; January is GMT, so 09:00 is 09:00 UTC.
const CronExpression kDaily0900 = cron("0 9 * * *");

TEST(CatchUp, MissedSlotTwoHoursAgoIsSentOnceAtStart) {
  const auto decision =
      decideCatchUp(kDaily0900, london(), utc("2025-01-14T09:00:00Z"), utc("2025-01-15T11:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "2025-01-15T09:00:00Z");
  EXPECT_THAT(decision.skipped, IsEmpty());
  EXPECT_FALSE(decision.more_skipped);
  EXPECT_EQ(iso(decision.next), "2025-01-16T09:00:00Z");
}

TEST(CatchUp, MissedSlotEightHoursAgoIsSkippedAndListed) {
  const auto decision =
      decideCatchUp(kDaily0900, london(), utc("2025-01-14T09:00:00Z"), utc("2025-01-15T17:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "none");
  EXPECT_THAT(isos(decision.skipped), ElementsAre("2025-01-15T09:00:00Z"));
  EXPECT_EQ(iso(decision.next), "2025-01-16T09:00:00Z");
}

TEST(CatchUp, SeveralMissedSlotsSendOnlyTheLatestAndListTheRest) {
  const auto decision =
      decideCatchUp(kDaily0900, london(), utc("2025-01-10T09:00:00Z"), utc("2025-01-15T10:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "2025-01-15T09:00:00Z");
  EXPECT_THAT(isos(decision.skipped), ElementsAre("2025-01-11T09:00:00Z", "2025-01-12T09:00:00Z",
                                                  "2025-01-13T09:00:00Z", "2025-01-14T09:00:00Z"));
  EXPECT_EQ(iso(decision.next), "2025-01-16T09:00:00Z");
}

TEST(CatchUp, SeveralMissedSlotsAllTooLateAreAllSkipped) {
  const auto decision =
      decideCatchUp(kDaily0900, london(), utc("2025-01-12T09:00:00Z"), utc("2025-01-15T20:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "none");
  EXPECT_THAT(isos(decision.skipped),
              ElementsAre("2025-01-13T09:00:00Z", "2025-01-14T09:00:00Z", "2025-01-15T09:00:00Z"));
}

TEST(CatchUp, RestartBeforeTheNextSlotDoesNothing) {
  const auto decision =
      decideCatchUp(kDaily0900, london(), utc("2025-01-15T09:00:00Z"), utc("2025-01-15T12:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "none");
  EXPECT_THAT(decision.skipped, IsEmpty());
  EXPECT_EQ(iso(decision.next), "2025-01-16T09:00:00Z");
}

TEST(CatchUp, TheSlotThatFiredLastNeverFiresAgain) {
  // Restarted in the very second the 09:00 digest was sent.
  const auto decision =
      decideCatchUp(kDaily0900, london(), utc("2025-01-15T09:00:00Z"), utc("2025-01-15T09:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "none");
  EXPECT_THAT(decision.skipped, IsEmpty());
  EXPECT_EQ(iso(decision.next), "2025-01-16T09:00:00Z");
}

TEST(CatchUp, ASlotAtExactlyNowIsDue) {
  const auto decision =
      decideCatchUp(kDaily0900, london(), utc("2025-01-14T09:00:00Z"), utc("2025-01-15T09:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "2025-01-15T09:00:00Z");
  EXPECT_EQ(iso(decision.next), "2025-01-16T09:00:00Z");
}

TEST(CatchUp, CatchUpLimitIsInclusive) {
  const auto last = utc("2025-01-14T09:00:00Z");
  EXPECT_EQ(iso(decideCatchUp(kDaily0900, london(), last, utc("2025-01-15T15:00:00Z")).fire_now),
            "2025-01-15T09:00:00Z");
  EXPECT_EQ(iso(decideCatchUp(kDaily0900, london(), last, utc("2025-01-15T15:00:01Z")).fire_now),
            "none");
  // A shorter configured catch_up.
  const auto short_limit = decideCatchUp(kDaily0900, london(), last, utc("2025-01-15T09:30:00Z"),
                                         std::chrono::minutes{15});
  EXPECT_EQ(iso(short_limit.fire_now), "none");
  EXPECT_THAT(isos(short_limit.skipped), ElementsAre("2025-01-15T09:00:00Z"));
}

TEST(CatchUp, FirstEverStartCatchesNothingUp) {
  const auto decision =
      decideCatchUp(kDaily0900, london(), std::nullopt, utc("2025-01-15T10:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "none");
  EXPECT_THAT(decision.skipped, IsEmpty());
  EXPECT_EQ(iso(decision.next), "2025-01-16T09:00:00Z");
}

TEST(CatchUp, ClockSetBackBehindTheLastFiredSlotSendsNothingTwice) {
  const auto decision =
      decideCatchUp(kDaily0900, london(), utc("2025-01-20T09:00:00Z"), utc("2025-01-15T10:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "none");
  EXPECT_THAT(decision.skipped, IsEmpty());
  EXPECT_EQ(iso(decision.next), "2025-01-21T09:00:00Z");
}

TEST(CatchUp, LongOutageOfAFrequentScheduleListsOnlyTheMostRecentSkips) {
  // Every minute, down for 30 days: the latest minute is sent, the 100 before it are listed.
  const auto decision = decideCatchUp(cron("* * * * *"), london(), utc("2025-01-01T00:00:00Z"),
                                      utc("2025-01-31T12:00:30Z"));
  EXPECT_EQ(iso(decision.fire_now), "2025-01-31T12:00:00Z");
  ASSERT_EQ(decision.skipped.size(), kMaxListedSkips);
  EXPECT_TRUE(decision.more_skipped);
  EXPECT_EQ(iso(decision.skipped.front()), "2025-01-31T10:20:00Z");
  EXPECT_EQ(iso(decision.skipped.back()), "2025-01-31T11:59:00Z");
  EXPECT_EQ(iso(decision.next), "2025-01-31T12:01:00Z");
}

TEST(CatchUp, MissedSlotInTheSpringGapIsCaughtUpAtItsShiftedInstant) {
  // Down over the night clocks go forward: 01:30 did not exist and was due at 01:00 UTC.
  const auto decision = decideCatchUp(cron("30 1 * * *"), london(), utc("2025-03-29T01:30:00Z"),
                                      utc("2025-03-30T03:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "2025-03-30T01:00:00Z");
  EXPECT_THAT(decision.skipped, IsEmpty());
  EXPECT_EQ(iso(decision.next), "2025-03-31T00:30:00Z");
}

TEST(CatchUp, RestartInTheRepeatedHourDoesNotResendItsFirstRun) {
  // 01:30 BST ran (00:30 UTC); restarted at 01:40 GMT (01:40 UTC), after the second 01:30.
  const auto decision = decideCatchUp(cron("30 1 * * *"), london(), utc("2025-10-26T00:30:00Z"),
                                      utc("2025-10-26T01:40:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "none");
  EXPECT_THAT(decision.skipped, IsEmpty());
  EXPECT_EQ(iso(decision.next), "2025-10-27T01:30:00Z");
}

TEST(CatchUp, ImpossibleExpressionHasNoNextSlot) {
  const auto decision = decideCatchUp(cron("0 0 30 2 *"), london(), utc("2025-01-14T09:00:00Z"),
                                      utc("2025-01-15T11:00:00Z"));
  EXPECT_EQ(iso(decision.fire_now), "none");
  EXPECT_THAT(decision.skipped, IsEmpty());
  EXPECT_EQ(decision.next, std::nullopt);
}

}  // namespace
}  // namespace cohortwatch::schedule
