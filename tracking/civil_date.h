// Calendar dates as the methodology uses them: whole days, no time of day, no time zone.
// A Date is a count of days since 1970-01-01 (std::chrono::sys_days underneath), cheap to copy
// and compare; parsing accepts exactly YYYY-MM-DD and rejects impossible days (2025-02-29).
#pragma once

#include <chrono>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace cohortwatch::tracking {

class Date {
 public:
  constexpr Date() = default;
  constexpr explicit Date(std::chrono::sys_days days) : days_(days) {}
  static std::optional<Date> fromYmd(int year, unsigned month, unsigned day);
  // Exactly "YYYY-MM-DD" with a real calendar day; anything else is nullopt.
  static std::optional<Date> parse(std::string_view text);
  static Date fromDayNumber(int days_since_epoch) {
    return Date(std::chrono::sys_days(std::chrono::days(days_since_epoch)));
  }

  std::chrono::year_month_day ymd() const { return std::chrono::year_month_day(days_); }
  int year() const { return static_cast<int>(ymd().year()); }
  unsigned month() const { return static_cast<unsigned>(ymd().month()); }
  unsigned day() const { return static_cast<unsigned>(ymd().day()); }
  int dayNumber() const { return static_cast<int>(days_.time_since_epoch().count()); }

  Date addDays(int n) const { return Date(days_ + std::chrono::days(n)); }
  // Same calendar day n months later (or earlier); a day that does not exist in the target month
  // becomes that month's last day (2024-02-29 + 12 months = 2025-02-28; 2025-08-31 + 6 = 2026-02-28).
  Date addMonths(int n) const;
  // Whole days from this date to `later` (negative when `later` is earlier).
  int daysUntil(Date later) const { return later.dayNumber() - dayNumber(); }

  std::string toString() const;

  friend constexpr auto operator<=>(Date, Date) = default;

 private:
  std::chrono::sys_days days_{};
};

// Age in whole years on `on` for someone born on `birth`. A child born on 29 February becomes a
// year older on 1 March in years without a 29 February.
int ageOn(Date birth, Date on);

}  // namespace cohortwatch::tracking
