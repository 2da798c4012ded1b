// Validation of one configured schedule: what a user gets told about a bad cron text, an unknown
// time zone and the other settings, and the defaults of the issue (Europe/London, 6 hours).
#include "schedule/schedule_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cohortwatch::schedule {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

ScheduleSettings weekdayDigest() {
  ScheduleSettings settings;
  settings.name = "morning digest";
  settings.cron = "0 9 * * mon-fri";
  settings.produces = Produces::kManagerDigest;
  settings.recipients = {"yot-managers@example.org"};
  return settings;
}

TEST(ScheduleSettings, DefaultsAreLondonAndSixHours) {
  const ScheduleSettings settings;
  EXPECT_EQ(settings.zone, "Europe/London");
  EXPECT_EQ(settings.catch_up, std::chrono::hours{6});
}

TEST(ScheduleSettings, AGoodScheduleHasNoProblems) {
  EXPECT_THAT(validateSchedule(weekdayDigest()), IsEmpty());
  auto sydney = weekdayDigest();
  sydney.zone = "Australia/Sydney";
  EXPECT_THAT(validateSchedule(sydney), IsEmpty());
}

TEST(ScheduleSettings, BadCronTextIsReportedWithFieldAndColumn) {
  auto settings = weekdayDigest();
  settings.cron = "0 24 * * *";
  EXPECT_THAT(validateSchedule(settings),
              ElementsAre("cron: hour: 24 is out of range 0-23 (column 3 of \"0 24 * * *\")"));
}

TEST(ScheduleSettings, CronThatNeverFiresIsAProblem) {
  auto settings = weekdayDigest();
  settings.cron = "0 9 30 2 *";
  EXPECT_THAT(validateSchedule(settings),
              ElementsAre("cron: \"0 9 30 2 *\" names no day that exists, so it never fires"));
}

TEST(ScheduleSettings, UnknownZoneIsAProblem) {
  auto settings = weekdayDigest();
  settings.zone = "Europe/Lundon";
  EXPECT_THAT(validateSchedule(settings),
              ElementsAre("zone: \"Europe/Lundon\" is not a time zone in the IANA database (for "
                          "example Europe/London)"));
}

TEST(ScheduleSettings, EveryProblemIsReportedAtOnce) {
  ScheduleSettings settings;
  settings.name = " ";
  settings.cron = "0 9 * *";
  settings.zone = "GMT+25";
  settings.catch_up = std::chrono::seconds{-1};
  settings.recipients = {"a@example.org", ""};
  EXPECT_THAT(validateSchedule(settings),
              ElementsAre("name: a schedule needs a name",
                          "cron: expected 5 fields (minute hour day-of-month month day-of-week), "
                          "found 4 (column 8 of \"0 9 * *\")",
                          "zone: \"GMT+25\" is not a time zone in the IANA database (for example "
                          "Europe/London)",
                          "catch_up: must not be negative", "recipients: entry 2 is blank"));
}

TEST(ScheduleSettings, ProducesNamesAreTheYamlWords) {
  for (const Produces p :
       {Produces::kManagerDigest, Produces::kCaseworkerReminders, Produces::kStrategicReport}) {
    EXPECT_EQ(parseProduces(producesName(p)), p);
  }
  EXPECT_EQ(producesName(Produces::kCaseworkerReminders), "caseworker_reminders");
  EXPECT_EQ(parseProduces("strategic_report"), Produces::kStrategicReport);
  EXPECT_EQ(parseProduces("weekly_digest"), std::nullopt);
  EXPECT_EQ(parseProduces("Manager_Digest"), std::nullopt);
}

}  // namespace
}  // namespace cohortwatch::schedule
