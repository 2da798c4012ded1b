#include "schedule/schedule_clock.h"

#include <exception>

namespace cohortwatch::schedule {

namespace {

using Instant = std::chrono::sys_seconds;
using LocalSeconds = date::local_seconds;
using LocalDays = date::local_days;

// One Gregorian cycle: every calendar pattern there is has occurred within it.
constexpr date::days kSearchDays{146097};

// The first instant at which the wall clock shows `local` or later: the heart of the DST rules in
// the header. Over local times it never decreases, which the searches below rely on.
Instant firesAt(const date::time_zone* zone, LocalSeconds local) {
  const date::local_info info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) return info.second.begin;
  // Unique, or ambiguous with `first` the earlier of the two offsets.
  return Instant{local.time_since_epoch() - info.first.offset};
}

LocalSeconds at(LocalDays day, int hour, int minute) {
  return LocalSeconds{day} + std::chrono::hours{hour} + std::chrono::minutes{minute};
}

struct Day {
  date::year_month_day ymd;
  unsigned month;
  bool matches;
};

Day describe(const CronExpression& expression, LocalDays day) {
  const date::year_month_day ymd{day};
  const unsigned month = static_cast<unsigned>(ymd.month());
  const bool matches = expression.matchesDay(month, static_cast<unsigned>(ymd.day()),
                                             date::weekday{day}.c_encoding());
  return Day{ymd, month, matches};
}

// The extreme matching hour or minute (the expression always matches at least one of each).
int firstMatching(const CronExpression& expression, bool hours) {
  const int count = hours ? 24 : 60;
  for (int v = 0; v < count; ++v) {
    const auto u = static_cast<unsigned>(v);
    if (hours ? expression.matchesHour(u) : expression.matchesMinute(u)) return v;
  }
  return 0;
}

int lastMatching(const CronExpression& expression, bool hours) {
  for (int v = hours ? 23 : 59; v >= 0; --v) {
    const auto u = static_cast<unsigned>(v);
    if (hours ? expression.matchesHour(u) : expression.matchesMinute(u)) return v;
  }
  return 0;
}

}  // namespace

std::optional<Instant> nextSlot(const CronExpression& expression, const date::time_zone* zone,
                                Instant after) {
  if (!expression.canEverFire()) return std::nullopt;
  const int last_hour = lastMatching(expression, true);
  const int last_minute = lastMatching(expression, false);

  // Any wall time up to the one `after` shows fires at or before `after`: start on its local day.
  LocalDays day = date::floor<date::days>(zone->to_local(after));
  const LocalDays stop = day + kSearchDays;
  while (day <= stop) {
    const Day d = describe(expression, day);
    if (!expression.matchesMonth(d.month)) {
      day = LocalDays{date::year_month_day{d.ymd.year() / d.ymd.month() / 1} + date::months{1}};
      continue;
    }
    // Whole days, then whole hours, whose last slot fires by `after` are passed over unresolved.
    if (d.matches && firesAt(zone, at(day, last_hour, last_minute)) > after) {
      for (int hour = 0; hour < 24; ++hour) {
        if (!expression.matchesHour(static_cast<unsigned>(hour))) continue;
        if (firesAt(zone, at(day, hour, last_minute)) <= after) continue;
        for (int minute = 0; minute < 60; ++minute) {
          if (!expression.matchesMinute(static_cast<unsigned>(minute))) continue;
          const Instant fires = firesAt(zone, at(day, hour, minute));
          if (fires > after) return fires;
        }
      }
    }
    day += date::days{1};
  }
  return std::nullopt;
}

std::optional<Instant> previousSlot(const CronExpression& expression, const date::time_zone* zone,
                                    Instant at_or_before) {
  if (!expression.canEverFire()) return std::nullopt;
  const int first_hour = firstMatching(expression, true);
  const int first_minute = firstMatching(expression, false);

  // After clocks go back, wall times later than the one shown now have already been shown: start
  // two local days ahead, more than any fall-back in the database.
  LocalDays day = date::floor<date::days>(zone->to_local(at_or_before)) + date::days{2};
  const LocalDays stop = day - kSearchDays;
  while (day >= stop) {
    const Day d = describe(expression, day);
    if (!expression.matchesMonth(d.month)) {
      day = LocalDays{date::year_month_day{d.ymd.year() / d.ymd.month() / 1}} - date::days{1};
      continue;
    }
    if (d.matches && firesAt(zone, at(day, first_hour, first_minute)) <= at_or_before) {
      for (int hour = 23; hour >= 0; --hour) {
        if (!expression.matchesHour(static_cast<unsigned>(hour))) continue;
        if (firesAt(zone, at(day, hour, first_minute)) > at_or_before) continue;
        for (int minute = 59; minute >= 0; --minute) {
          if (!expression.matchesMinute(static_cast<unsigned>(minute))) continue;
          const Instant fires = firesAt(zone, at(day, hour, minute));
          if (fires <= at_or_before) return fires;
        }
      }
    }
    day -= date::days{1};
  }
  return std::nullopt;
}

const date::time_zone* findZone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    // Unknown name, or no readable database: the caller reports the zone as unusable.
    return nullptr;
  }
}

}  // namespace cohortwatch::schedule
