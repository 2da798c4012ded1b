#include "rules/rule_set.h"

#include <fmt/format.h>

#include <cassert>

namespace cohortwatch::rules {

namespace {

void addMemberFields(Catalog& catalog) {
  const auto add = [&]([[maybe_unused]] Slot slot, const char* name, ValueType type) {
    [[maybe_unused]] const auto given = catalog.add(name, type);
    assert(given == slot);
  };
  using T = ValueType;
  add(kAgeAtIndex, "age_at_index", T::kInteger);
  add(kAgeNow, "age_now", T::kInteger);
  add(kGender, "gender", T::kText);
  add(kEthnicity, "ethnicity", T::kText);
  add(kLookedAfter, "looked_after", T::kBool);
  add(kTeam, "team", T::kText);
  add(kCaseworker, "caseworker", T::kText);
  add(kIndexDate, "index_date", T::kDate);
  add(kIndexOutcomeType, "index_outcome_type", T::kText);
  add(kIndexOutcomeGroup, "index_outcome_group", T::kText);
  add(kCohort, "cohort", T::kText);
  add(kDaysSinceIndex, "days_since_index", T::kInteger);
  add(kDaysToFollowUpEnd, "days_to_follow_up_end", T::kInteger);
  add(kTurns18InFollowUp, "turns_18_in_follow_up", T::kBool);
  add(kPriorOffences, "prior_offences", T::kInteger);
  add(kGravityMax, "gravity_max", T::kInteger);
  add(kProvenReoffences, "proven_reoffences", T::kInteger);
  add(kPendingOffences, "pending_offences", T::kInteger);
  add(kReoffended, "reoffended", T::kBool);
  add(kOpenActions, "open_actions", T::kInteger);
  add(kOverdueActions, "overdue_actions", T::kInteger);
  add(kDaysSinceReview, "days_since_review", T::kInteger);
  for (const char* field : {"gender", "ethnicity", "looked_after", "caseworker", "team",
                            "first_name", "last_name", "date_of_birth"}) {
    catalog.addChangeable(field);
  }
}

Catalog makeMemberCatalog() {
  Catalog catalog;
  addMemberFields(catalog);
  return catalog;
}

Catalog makeAlertCatalog() {
  Catalog catalog;
  addMemberFields(catalog);
  const auto add = [&]([[maybe_unused]] Slot slot, const char* name, ValueType type) {
    [[maybe_unused]] const auto given = catalog.add(name, type);
    assert(given == slot);
  };
  using T = ValueType;
  add(kFocus, "focus", T::kTextList);
  add(kEventKind, "event.kind", T::kText);
  add(kEventDate, "event.date", T::kDate);
  add(kEventCohort, "event.cohort", T::kText);
  add(kEventOffenceDate, "event.offence_date", T::kDate);
  add(kEventInFollowUp, "event.in_follow_up", T::kBool);
  add(kEventBreach, "event.breach", T::kBool);
  add(kEventOutcomeType, "event.outcome_type", T::kText);
  add(kEventField, "event.field", T::kText);
  add(kEventOld, "event.old", T::kText);
  add(kEventNew, "event.new", T::kText);
  add(kEventDueOn, "event.due_on", T::kDate);
  add(kEventOwner, "event.owner", T::kText);
  return catalog;
}

Value textOrNone(std::string_view text) {
  return text.empty() ? Value::none(ValueType::kText) : Value::ofText(text);
}

std::optional<Expression> compileCondition(const config::ConditionText& condition,
                                           const Catalog& catalog,
                                           std::vector<config::ConfigError>& errors) {
  auto compiled = Expression::compile(condition.text, catalog);
  if (auto* error = std::get_if<ExpressionError>(&compiled)) {
    const bool one_line = condition.text.find('\n') == std::string::npos;
    errors.push_back({condition.file, condition.line,
                      one_line ? condition.column + error->column - 1 : condition.column,
                      condition.key_path, error->render(condition.text)});
    return std::nullopt;
  }
  return std::move(std::get<Expression>(compiled));
}

}  // namespace

const Catalog& memberCatalog() {
  static const Catalog catalog = makeMemberCatalog();
  return catalog;
}

const Catalog& alertCatalog() {
  static const Catalog catalog = makeAlertCatalog();
  return catalog;
}

void MemberContext::setMember(const MemberFacts& m, tracking::Date as_of) {
  auto& v = values;
  v[kAgeAtIndex] = Value::ofInteger(m.age_at_index);
  v[kAgeNow] = Value::ofInteger(m.age_now);
  v[kGender] = textOrNone(m.gender);
  v[kEthnicity] = textOrNone(m.ethnicity);
  v[kLookedAfter] = m.looked_after ? Value::ofBool(*m.looked_after) : Value::none(ValueType::kBool);
  v[kTeam] = textOrNone(m.team);
  v[kCaseworker] = textOrNone(m.caseworker);
  v[kIndexDate] = Value::ofDate(m.index_date);
  v[kIndexOutcomeType] = textOrNone(m.index_outcome_type);
  v[kIndexOutcomeGroup] = textOrNone(m.index_outcome_group);
  v[kCohort] = textOrNone(m.cohort_name);
  v[kDaysSinceIndex] = Value::ofInteger(m.days_since_index);
  v[kDaysToFollowUpEnd] = Value::ofInteger(m.days_to_follow_up_end);
  v[kTurns18InFollowUp] = Value::ofBool(m.turns_18_in_follow_up);
  v[kPriorOffences] = Value::ofInteger(m.prior_offences);
  v[kGravityMax] = m.gravity_max ? Value::ofInteger(*m.gravity_max) : Value::none(ValueType::kInteger);
  v[kProvenReoffences] = Value::ofInteger(m.proven_reoffences);
  v[kPendingOffences] = Value::ofInteger(m.pending_offences);
  v[kReoffended] = Value::ofBool(m.reoffended());
  v[kOpenActions] = Value::ofInteger(m.open_actions);
  v[kOverdueActions] = Value::ofInteger(m.overdue_actions);
  // Never reviewed: the days since the child entered the cohort.
  v[kDaysSinceReview] =
      Value::ofInteger(m.last_review ? m.last_review->daysUntil(as_of) : m.days_since_index);
  setFocus({});
  clearEvent();
}

void MemberContext::setFocus(std::span<const std::string_view> focus_ids) {
  values[kFocus] = Value::ofList(focus_ids);
}

void MemberContext::clearEvent() {
  using T = ValueType;
  values[kEventKind] = Value::none(T::kText);
  values[kEventDate] = Value::none(T::kDate);
  values[kEventCohort] = Value::none(T::kText);
  values[kEventOffenceDate] = Value::none(T::kDate);
  values[kEventInFollowUp] = Value::none(T::kBool);
  values[kEventBreach] = Value::none(T::kBool);
  values[kEventOutcomeType] = Value::none(T::kText);
  values[kEventField] = Value::none(T::kText);
  values[kEventOld] = Value::none(T::kText);
  values[kEventNew] = Value::none(T::kText);
  values[kEventDueOn] = Value::none(T::kDate);
  values[kEventOwner] = Value::none(T::kText);
  changed = {};
}

std::variant<RuleSet, std::vector<config::ConfigError>> RuleSet::compile(
    const config::Settings& settings) {
  RuleSet rules;
  std::vector<config::ConfigError> errors;
  for (const auto& group : settings.focus_groups) {
    if (auto when = compileCondition(group.when, memberCatalog(), errors)) {
      rules.focus_groups_.push_back({&group, std::move(*when)});
    }
  }
  for (const auto& alert : settings.alerts) {
    if (alert.when.text.empty()) {
      rules.alert_rules_.push_back({&alert, std::nullopt});
    } else if (auto when = compileCondition(alert.when, alertCatalog(), errors)) {
      rules.alert_rules_.push_back({&alert, std::move(*when)});
    }
  }
  if (!errors.empty()) return errors;
  return rules;
}

std::vector<MemberFocus> RuleSet::focus(const MemberTable& table) const {
  std::vector<MemberFocus> result(table.members.size());
  MemberContext context;
  for (std::size_t i = 0; i < table.members.size(); ++i) {
    context.setMember(table.members[i], table.as_of);
    const Context view = context.context(table.as_of);
    for (const auto& group : focus_groups_) {
      if (group.when.evaluate(view)) {
        result[i].groups.push_back(group.settings->id);
        result[i].weight += group.settings->weight;
      }
    }
  }
  return result;
}

double severityWeight(config::Severity severity) {
  switch (severity) {
    case config::Severity::kLow: return 0.5;
    case config::Severity::kMedium: return 1.0;
    case config::Severity::kHigh: return 2.0;
  }
  return 1.0;
}

}  // namespace cohortwatch::rules
