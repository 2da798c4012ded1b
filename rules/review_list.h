// The review list: which children in running cohorts deserve a look at the next review meeting,
// in which order, and why. Shared by the manager digest, the caseworker reminders and the
// tracking sheet, so that all three agree.
//
// A child is on the list when they fall in a focus group, an alert was raised about them (the
// alerts given, e.g. those waiting for a digest) or something happened to them (the change
// events given, e.g. those since the last digest): an offence recorded or proven in the
// follow-up of any of their cohorts (breaches are not reoffences), or a changed circumstance. Priority = the weights of their focus groups + the
// severity weight of each alert (rules::severityWeight) + kNewsWeight for each kind of news.
// Reasons, in this order: "focus: GROUP, GROUP", each alert "RULE NAME (fired on)", the news
// ("N new offence(s) recorded", "N offence(s) proven (reoffending)", "looked-after status
// changed", "caseworker changed", ...: never the old or new value), "N pending offence(s)",
// "follow-up ends DATE" (within 28 days), "not reviewed for N days" / "never reviewed (N days
// in the cohort)" (42 days or more). An event an alert was raised for is not repeated as news.
// Ties are broken by person id. A child's latest running membership stands for the child.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "rules/member_facts.h"
#include "rules/rule_set.h"
#include "tracking/store.h"

namespace cohortwatch::rules {

inline constexpr int kFollowUpEndingDays = 28;
inline constexpr int kNotReviewedDays = 42;
inline constexpr double kNewsWeight = 0.5;  // as much as a low-severity alert

struct ReviewItem {
  std::size_t row = 0;  // into MemberTable::members
  double priority = 0.0;
  std::vector<std::string> reasons;
};

class ReviewList {
 public:
  // `focus` is in the table's order (RuleSet::focus). All arguments must outlive the list.
  ReviewList(const MemberTable& table, const std::vector<MemberFocus>& focus,
             const config::Settings& settings);

  // The children to review, by priority (highest first); only `caseworker`'s children when it is
  // not empty.
  std::vector<ReviewItem> build(std::span<const tracking::AlertRecord> alerts,
                                std::string_view caseworker = {},
                                std::span<const tracking::ChangeEvent> events = {}) const;

  // The priority and reasons of the member in `row` (whether or not it would make the list).
  ReviewItem assess(std::size_t row, std::span<const tracking::AlertRecord> alerts,
                    std::span<const tracking::ChangeEvent> events = {}) const;

  // Each child's latest running membership: person id -> row.
  const std::map<std::string_view, std::size_t>& latest() const { return latest_; }

 private:
  void addFocus(ReviewItem& item) const;
  void addAlert(ReviewItem& item, const tracking::AlertRecord& alert) const;
  // Adds the news among `events` (those about the member's child) to the item; false when none.
  bool addNews(ReviewItem& item, std::span<const tracking::AlertRecord> alerts,
               std::span<const tracking::ChangeEvent> events) const;
  void addCircumstances(ReviewItem& item) const;

  const MemberTable& table_;
  const std::vector<MemberFocus>& focus_;
  std::map<std::string, std::string, std::less<>> group_names_;
  std::map<std::string, const config::AlertRuleSettings*, std::less<>> rules_;
  std::map<std::string_view, std::size_t> latest_;
};

// "a; b; c"
std::string joinReasons(const std::vector<std::string>& reasons);

}  // namespace cohortwatch::rules
