// One configured schedule (`schedules:` in the YAML file, issue 7): when it fires (a cron
// expression in an IANA zone), what it produces and for whom, and how late a missed slot may
// still be sent after a restart. Plain data for the configuration reader; validateSchedule()
// says what is wrong with one before the service relies on it. Kept free of the time-zone library's
// headers, as config/ includes it everywhere.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cohortwatch::schedule {

inline constexpr const char* kDefaultZone = "Europe/London";
// How late a missed slot may still be sent at start-up (catch_up.h).
inline constexpr std::chrono::seconds kDefaultCatchUp = std::chrono::hours{6};

// What a schedule sends; the YAML words are manager_digest, caseworker_reminders and
// strategic_report (producesName / parseProduces).
enum class Produces { kManagerDigest, kCaseworkerReminders, kStrategicReport };

std::string_view producesName(Produces produces);
std::optional<Produces> parseProduces(std::string_view name);

struct ScheduleSettings {
  std::string name;
  std::string cron;  // five fields, read by CronExpression::parse
  std::string zone = kDefaultZone;
  Produces produces = Produces::kManagerDigest;
  std::vector<std::string> recipients;
  std::chrono::seconds catch_up = kDefaultCatchUp;
  bool send_empty = false;  // send a digest or report even when it has nothing to say
};

// Every problem with the schedule, as sentences that name the setting ("cron: hour: 24 is out of
// range 0-23 (column 3)"); empty when it is usable. Checks that the name is given, the cron text
// parses and can ever fire, the zone is in the time-zone database, catch_up is not negative and
// no recipient is blank. It does not check that recipients exist (the channels know those).
std::vector<std::string> validateSchedule(const ScheduleSettings& settings);

}  // namespace cohortwatch::schedule
