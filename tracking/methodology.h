// The proven-reoffending methodology's calendar (DOMAIN.md, "Definitions"): quarterly cohorts,
// financial years, each member's follow-up window and the cohort's status as of a date.
// Pure functions of the methodology settings; the cohort engine and the reports build on them.
#pragma once

#include <array>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "config/settings.h"
#include "tracking/civil_date.h"

namespace cohortwatch::tracking {

// A calendar quarter, the cohort period: 2025Q1 is January to March 2025.
struct Quarter {
  int year = 0;
  int number = 1;  // 1..4

  static std::optional<Quarter> parse(std::string_view text);  // "2025Q1"
  static Quarter containing(Date date);
  Date firstDay() const;
  Date lastDay() const;
  Quarter next() const;
  std::string name() const;
  int ordinal() const { return year * 4 + (number - 1); }  // consecutive quarters differ by one
  static Quarter fromOrdinal(int ordinal) { return {ordinal / 4, ordinal % 4 + 1}; }

  friend auto operator<=>(const Quarter&, const Quarter&) = default;
};

// A financial year, April to March, made of four quarterly cohorts: "2024/25" is 2024Q2..2025Q1.
struct FinancialYear {
  int start_year = 0;

  static std::optional<FinancialYear> parse(std::string_view text);  // "2024/25"
  std::array<Quarter, 4> quarters() const;
  std::string name() const;
};

// A member's follow-up: from the day after the index date to the same calendar day
// follow_up_months later, and the last day a proving outcome may be dated (end + waiting period).
struct FollowUpWindow {
  Date first_day;
  Date last_day;
  Date proof_deadline;

  bool contains(Date date) const { return first_day <= date && date <= last_day; }
};

enum class CohortStatus { kNotStarted, kRecruiting, kFollowingUp, kWaiting, kComplete };

std::string_view toString(CohortStatus status);

class Methodology {
 public:
  explicit Methodology(config::MethodologySettings settings);

  FollowUpWindow followUp(Date index_date) const;
  // Recruiting while as_of is inside the quarter, following up until its last member's follow-up
  // ends, waiting until that member's proof deadline has passed, complete after.
  CohortStatus status(Quarter quarter, Date as_of) const;
  bool inAgeRange(int age) const { return settings_.min_age <= age && age <= settings_.max_age; }
  const config::MethodologySettings& settings() const { return settings_; }

 private:
  config::MethodologySettings settings_;
};

}  // namespace cohortwatch::tracking
