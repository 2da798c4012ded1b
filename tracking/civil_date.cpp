#include "tracking/civil_date.h"

#include <fmt/format.h>

namespace cohortwatch::tracking {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

int digits(std::string_view text, std::size_t from, std::size_t count) {
  int value = 0;
  for (std::size_t i = from; i < from + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

}  // namespace

std::optional<Date> Date::fromYmd(int year, unsigned month, unsigned day) {
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                  std::chrono::day(day)};
  if (!ymd.ok()) return std::nullopt;
  return Date(std::chrono::sys_days(ymd));
}

std::optional<Date> Date::parse(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (!isDigit(text[i])) return std::nullopt;
  }
  return fromYmd(digits(text, 0, 4), static_cast<unsigned>(digits(text, 5, 2)),
                 static_cast<unsigned>(digits(text, 8, 2)));
}

Date Date::addMonths(int n) const {
  const auto start = ymd();
  const auto target = std::chrono::year_month(start.year(), start.month()) + std::chrono::months(n);
  const auto last = std::chrono::year_month_day_last(target.year(),
                                                     std::chrono::month_day_last(target.month()));
  const auto day = std::min(start.day(), last.day());
  return Date(std::chrono::sys_days(std::chrono::year_month_day(target.year(), target.month(), day)));
}

std::string Date::toString() const {
  return fmt::format("{:04}-{:02}-{:02}", year(), month(), day());
}

int ageOn(Date birth, Date on) {
  int age = on.year() - birth.year();
  if (on.month() < birth.month() || (on.month() == birth.month() && on.day() < birth.day())) {
    --age;
  }
  return age;
}

}  // namespace cohortwatch::tracking
