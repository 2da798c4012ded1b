// The configured focus groups and alert rules, compiled: each `when:` condition is parsed and
// type-checked once against the fields its context offers, and a mistake is reported as a
// configuration error at the condition's file, line and column, with the expression and a caret.
// Also what a member's context holds (MemberContext) and how a member's focus groups and priority
// are derived.
//
// Contexts. Focus-group conditions see the member's fields (no `focus`, no `event.*`). Alert
// conditions see the member's fields, `focus` (the ids of the member's focus groups) and the
// triggering event's fields:
//   event.kind         text  cohort_entry, offence_recorded, offence_proven, person_changed,
//                            follow_up_ending, no_review, action_due, action_overdue
//   event.date         date  the day the event concerns (offence date, outcome date, change date,
//                            follow-up end, due date, the evaluation day for no_review)
//   event.cohort       text  the cohort the event concerns, e.g. 2025Q1
//   event.offence_date date  offence_recorded
//   event.in_follow_up bool  offence_recorded, offence_proven: inside a follow-up period
//   event.breach       bool  offence_recorded
//   event.outcome_type text  offence_proven, cohort_entry
//   event.field, event.old, event.new  text  person_changed
//   event.due_on       date  action_due, action_overdue
//   event.owner        text  action_due, action_overdue
// and changed("looked_after") is true when the event changed that attribute.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config_loader.h"
#include "config/settings.h"
#include "rules/expression.h"
#include "rules/member_facts.h"
#include "tracking/store.h"

namespace cohortwatch::rules {

// Catalog slots, in the order the catalogs are built.
enum Slot : std::uint16_t {
  kAgeAtIndex,
  kAgeNow,
  kGender,
  kEthnicity,
  kLookedAfter,
  kTeam,
  kCaseworker,
  kIndexDate,
  kIndexOutcomeType,
  kIndexOutcomeGroup,
  kCohort,
  kDaysSinceIndex,
  kDaysToFollowUpEnd,
  kTurns18InFollowUp,
  kPriorOffences,
  kGravityMax,
  kProvenReoffences,
  kPendingOffences,
  kReoffended,
  kOpenActions,
  kOverdueActions,
  kDaysSinceReview,
  kMemberSlots,  // focus-group conditions see the slots above
  kFocus = kMemberSlots,
  kEventKind,
  kEventDate,
  kEventCohort,
  kEventOffenceDate,
  kEventInFollowUp,
  kEventBreach,
  kEventOutcomeType,
  kEventField,
  kEventOld,
  kEventNew,
  kEventDueOn,
  kEventOwner,
  kAlertSlots,
};

const Catalog& memberCatalog();  // focus-group conditions
const Catalog& alertCatalog();   // alert conditions

// What a condition is evaluated against: the values by slot, and the event's changed fields.
struct MemberContext {
  std::array<Value, kAlertSlots> values;
  std::array<std::string_view, 1> changed_storage{};
  std::span<const std::string_view> changed;

  // Fills the member slots (and clears the event slots).
  void setMember(const MemberFacts& member, tracking::Date as_of);
  void setFocus(std::span<const std::string_view> focus_ids);
  void clearEvent();
  Context context(tracking::Date today) const { return {values, today, changed}; }
};

struct CompiledFocusGroup {
  const config::FocusGroupSettings* settings;
  Expression when;
};

struct CompiledAlertRule {
  const config::AlertRuleSettings* settings;
  std::optional<Expression> when;  // nullopt: always
};

// A member's focus groups (ids, in configuration order) and the part of its priority they give.
struct MemberFocus {
  std::vector<std::string_view> groups;
  double weight = 0.0;
};

class RuleSet {
 public:
  // Compiles settings.focus_groups and settings.alerts. The RuleSet refers to `settings`, which
  // must outlive it. Errors name the condition's file, line and column.
  static std::variant<RuleSet, std::vector<config::ConfigError>> compile(
      const config::Settings& settings);

  const std::vector<CompiledFocusGroup>& focusGroups() const { return focus_groups_; }
  const std::vector<CompiledAlertRule>& alertRules() const { return alert_rules_; }

  // The focus groups of every member of the table, in the table's order.
  std::vector<MemberFocus> focus(const MemberTable& table) const;

 private:
  std::vector<CompiledFocusGroup> focus_groups_;
  std::vector<CompiledAlertRule> alert_rules_;
};

// Weight of an alert's severity in a member's priority: low 0.5, medium 1, high 2.
double severityWeight(config::Severity severity);

}  // namespace cohortwatch::rules
