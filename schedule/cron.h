// Five-field cron expressions (minute hour day-of-month month day-of-week) as Vixie cron reads
// them: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists, month and day names. Parsing
// never throws: a bad expression is a CronError naming the field, the value and its 1-based column.
#pragma once

#include <bitset>
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace cohortwatch::schedule {

struct CronError {
  std::size_t column = 1;  // 1-based column in the text given to parse()
  std::string message;     // "hour: 24 is out of range 0-23"
};

// What a cron expression matches on the local wall clock; turning that into instants in a time
// zone is schedule_clock.h's job.
//
// Accepted per field (minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or jan-dec,
// day-of-week 0-7 or sun-sat with 0 and 7 both Sunday; names are three letters, any case):
//   *            every value          5      one value          1-5    a range (inclusive)
//   */15         every 15th from min  1-5/2  every 2nd in range  1,3,5  a list of any of these
// A step needs `*` or a range before it: `5/10` is an error (write `5-59/10`), and a step must lie
// in 1..(max - min) of its field, so `*/60` in the minute field is an error, not "minute 0".
// A range may not run backwards (`fri-mon` is an error), except that `sun` ending a day-of-week
// range means 7, so `sat-sun` and `fri-sun` read as people mean them.
//
// Days follow the Vixie rule: if day-of-month and day-of-week are both restricted, a day matches
// when EITHER matches (`0 9 1 * mon` is the 1st of each month and every Monday); otherwise both
// must. As in Vixie cron and cronie, a field counts as unrestricted when it begins with `*`, so
// `*/2` is unrestricted: `0 9 */2 * mon` is Mondays that fall on odd days of the month.
// `@daily` and friends are not supported.
class CronExpression {
 public:
  static std::variant<CronExpression, CronError> parse(std::string_view text);

  // The expression as given, without surrounding blanks (for logs and messages).
  const std::string& text() const { return text_; }

  bool matchesMinute(unsigned minute) const { return minute < 60 && minutes_.test(minute); }
  bool matchesHour(unsigned hour) const { return hour < 24 && hours_.test(hour); }
  bool matchesMonth(unsigned month) const {
    return month >= 1 && month <= 12 && months_.test(month);
  }
  // month 1-12, day_of_month 1-31, weekday 0-6 with 0 = Sunday; applies the Vixie rule above.
  bool matchesDay(unsigned month, unsigned day_of_month, unsigned weekday) const;

  // False when no calendar date can ever match (`0 0 30 2 *`, `0 0 31 4,6,9,11 *`). Every
  // (month, day) that exists falls on each weekday within the 400-year Gregorian cycle, so this is
  // a calendar question only. February 29 counts as existing.
  bool canEverFire() const;

 private:
  CronExpression() = default;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // bits 1-31
  std::bitset<13> months_;         // bits 1-12
  std::bitset<7> weekdays_;        // bits 0-6, Sunday = 0 (a 7 in the text sets bit 0)
  bool day_of_month_unrestricted_ = true;
  bool weekday_unrestricted_ = true;
};

}  // namespace cohortwatch::schedule
