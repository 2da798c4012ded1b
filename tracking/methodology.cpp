#include "tracking/methodology.h"

#include <fmt/format.h>

#include <charconv>
#include <utility>

namespace cohortwatch::tracking {

namespace {

std::optional<int> parseDigits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<Quarter> Quarter::parse(std::string_view text) {
  if (text.size() != 6 || (text[4] != 'Q' && text[4] != 'q')) return std::nullopt;
  auto year = parseDigits(text.substr(0, 4));
  auto number = parseDigits(text.substr(5, 1));
  if (!year || !number || *number < 1 || *number > 4) return std::nullopt;
  return Quarter{*year, *number};
}

Quarter Quarter::containing(Date date) {
  return Quarter{date.year(), static_cast<int>((date.month() - 1) / 3 + 1)};
}

Date Quarter::firstDay() const {
  return *Date::fromYmd(year, static_cast<unsigned>((number - 1) * 3 + 1), 1);
}

Date Quarter::lastDay() const { return next().firstDay().addDays(-1); }

Quarter Quarter::next() const { return fromOrdinal(ordinal() + 1); }

std::string Quarter::name() const { return fmt::format("{}Q{}", year, number); }

std::optional<FinancialYear> FinancialYear::parse(std::string_view text) {
  if (text.size() != 7 || text[4] != '/') return std::nullopt;
  auto start = parseDigits(text.substr(0, 4));
  auto end = parseDigits(text.substr(5, 2));
  if (!start || !end || *end != (*start + 1) % 100) return std::nullopt;
  return FinancialYear{*start};
}

std::array<Quarter, 4> FinancialYear::quarters() const {
  return {Quarter{start_year, 2}, Quarter{start_year, 3}, Quarter{start_year, 4},
          Quarter{start_year + 1, 1}};
}

std::string FinancialYear::name() const {
  return fmt::format("{}/{:02}", start_year, (start_year + 1) % 100);
}

std::string_view toString(CohortStatus status) {
  switch (status) {
    case CohortStatus::kNotStarted: return "not_started";
    case CohortStatus::kRecruiting: return "recruiting";
    case CohortStatus::kFollowingUp: return "following_up";
    case CohortStatus::kWaiting: return "waiting";
    case CohortStatus::kComplete: return "complete";
  }
  return "complete";
}

Methodology::Methodology(config::MethodologySettings settings) : settings_(std::move(settings)) {}

FollowUpWindow Methodology::followUp(Date index_date) const {
  const Date last = index_date.addMonths(settings_.follow_up_months);
  return FollowUpWindow{index_date.addDays(1), last, last.addMonths(settings_.waiting_months)};
}

CohortStatus Methodology::status(Quarter quarter, Date as_of) const {
  if (as_of < quarter.firstDay()) return CohortStatus::kNotStarted;
  if (as_of <= quarter.lastDay()) return CohortStatus::kRecruiting;
  const FollowUpWindow last_member = followUp(quarter.lastDay());
  if (as_of <= last_member.last_day) return CohortStatus::kFollowingUp;
  if (as_of <= last_member.proof_deadline) return CohortStatus::kWaiting;
  return CohortStatus::kComplete;
}

}  // namespace cohortwatch::tracking
