#include "rules/alert_evaluator.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace cohortwatch::rules {

namespace {

using config::AlertTrigger;

bool isCalendarTrigger(AlertTrigger trigger) {
  return trigger == AlertTrigger::kFollowUpEnding || trigger == AlertTrigger::kNoReview ||
         trigger == AlertTrigger::kActionDue || trigger == AlertTrigger::kActionOverdue;
}

std::optional<AlertTrigger> eventTrigger(std::string_view kind) {
  if (kind == "cohort_entry") return AlertTrigger::kCohortEntry;
  if (kind == "offence_recorded") return AlertTrigger::kOffenceRecorded;
  if (kind == "offence_proven") return AlertTrigger::kOffenceProven;
  if (kind == "person_changed") return AlertTrigger::kPersonChanged;
  return std::nullopt;  // data_quality and kinds of later versions: no rules
}

nlohmann::json jsonOf(const Value& value) {
  if (!value.present) return nullptr;
  switch (value.type) {
    case ValueType::kBool: return value.boolean;
    case ValueType::kInteger: return value.integer;
    case ValueType::kDecimal: return value.decimal;
    case ValueType::kText: return std::string(value.text);
    case ValueType::kDate: return value.date.toString();
    case ValueType::kTextList: {
      nlohmann::json list = nlohmann::json::array();
      for (auto item : value.list) list.push_back(std::string(item));
      return list;
    }
  }
  return nullptr;
}

// The event's own fields, kept alive while its context is evaluated.
struct EventFields {
  std::string kind, cohort, outcome_type, field, old_value, new_value, owner;
  std::optional<tracking::Date> date, offence_date, due_on;
  std::optional<bool> in_follow_up, breach;
  std::vector<std::string> cohorts;  // offence events: the cohorts whose follow-up it falls in

  void apply(MemberContext& context) const {
    auto& v = context.values;
    const auto text = [](const std::string& s) {
      return s.empty() ? Value::none(ValueType::kText) : Value::ofText(s);
    };
    const auto date_of = [](const std::optional<tracking::Date>& d) {
      return d ? Value::ofDate(*d) : Value::none(ValueType::kDate);
    };
    const auto flag = [](const std::optional<bool>& b) {
      return b ? Value::ofBool(*b) : Value::none(ValueType::kBool);
    };
    v[kEventKind] = text(kind);
    v[kEventDate] = date_of(date);
    v[kEventCohort] = text(cohort);
    v[kEventOffenceDate] = date_of(offence_date);
    v[kEventInFollowUp] = flag(in_follow_up);
    v[kEventBreach] = flag(breach);
    v[kEventOutcomeType] = text(outcome_type);
    v[kEventField] = text(field);
    v[kEventOld] = text(old_value);
    v[kEventNew] = text(new_value);
    v[kEventDueOn] = date_of(due_on);
    v[kEventOwner] = text(owner);
    if (!field.empty()) {
      context.changed_storage[0] = field;
      context.changed = context.changed_storage;
    }
  }

  nlohmann::json json() const {
    nlohmann::json out = {{"kind", kind}};
    if (date) out["date"] = date->toString();
    if (!cohort.empty()) out["cohort"] = cohort;
    if (offence_date) out["offence_date"] = offence_date->toString();
    if (in_follow_up) out["in_follow_up"] = *in_follow_up;
    if (!outcome_type.empty()) out["outcome_type"] = outcome_type;
    if (!field.empty()) out["field"] = field;
    if (due_on) out["due_on"] = due_on->toString();
    return out;  // old and new values stay out: they may be personal (names, addresses)
  }
};

std::optional<tracking::Date> dateField(const nlohmann::json& detail, const char* key) {
  if (!detail.contains(key) || !detail[key].is_string()) return std::nullopt;
  return tracking::Date::parse(detail[key].get<std::string>());
}

EventFields fieldsOf(const tracking::ChangeEvent& event) {
  EventFields fields;
  fields.kind = event.kind;
  fields.date = tracking::Date::parse(event.occurred_on);
  const auto detail = nlohmann::json::parse(event.detail, nullptr, false);
  if (!detail.is_object()) return fields;
  const auto text = [&](const char* key) {
    return detail.contains(key) && detail[key].is_string() ? detail[key].get<std::string>()
                                                           : std::string();
  };
  if (detail.contains("cohorts") && detail["cohorts"].is_array()) {
    for (const auto& cohort : detail["cohorts"]) {
      if (cohort.is_string()) fields.cohorts.push_back(cohort.get<std::string>());
    }
  }
  if (auto cohort = text("cohort"); !cohort.empty()) fields.cohorts.push_back(cohort);
  if (!fields.cohorts.empty()) fields.cohort = fields.cohorts.back();
  fields.offence_date = dateField(detail, "offence_date");
  if (detail.contains("in_follow_up") && detail["in_follow_up"].is_boolean()) {
    fields.in_follow_up = detail["in_follow_up"].get<bool>();
  }
  if (detail.contains("breach") && detail["breach"].is_boolean()) {
    fields.breach = detail["breach"].get<bool>();
  }
  fields.outcome_type = text("outcome_type");
  fields.field = text("field");
  fields.old_value = text("old");
  fields.new_value = text("new");
  return fields;
}

}  // namespace

AlertEvaluator::AlertEvaluator(const RuleSet& rules, const MemberTable& table,
                               const std::vector<MemberFocus>& focus, int max_event_age_days)
    : rules_(rules), table_(table), focus_(focus), max_event_age_days_(max_event_age_days) {
  for (std::size_t i = 0; i < table.members.size(); ++i) {
    by_person_[table.members[i].person_id].push_back(i);
  }
}

std::span<const std::size_t> AlertEvaluator::membersOf(std::string_view person_id) const {
  auto it = by_person_.find(person_id);
  if (it == by_person_.end()) return {};
  return it->second;
}

std::optional<std::size_t> AlertEvaluator::latestActiveMember(std::string_view person_id) const {
  const auto rows = membersOf(person_id);
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (table_.members[*it].cohort_status != tracking::CohortStatus::kComplete) return *it;
  }
  return std::nullopt;
}

namespace {

// Evaluates the rules of one trigger against one member with the event's fields in place.
void evaluate(const RuleSet& rules, AlertTrigger trigger, const MemberTable& table,
              const std::vector<MemberFocus>& focus, std::size_t row, const EventFields& event,
              long event_id, const std::string& subject, std::vector<AlertDecision>& out) {
  MemberContext context;
  const MemberFacts& member = table.members[row];
  context.setMember(member, table.as_of);
  context.setFocus(focus[row].groups);
  event.apply(context);
  const Context view = context.context(table.as_of);
  for (const auto& rule : rules.alertRules()) {
    if (rule.settings->on != trigger) continue;
    if (rule.settings->on == AlertTrigger::kFollowUpEnding &&
        !(member.days_to_follow_up_end >= 0 && member.days_to_follow_up_end <= rule.settings->days)) {
      continue;
    }
    if (rule.settings->on == AlertTrigger::kNoReview &&
        context.values[kDaysSinceReview].integer < rule.settings->days) {
      continue;
    }
    if (rule.settings->on == AlertTrigger::kActionDue && event.due_on &&
        table.as_of.daysUntil(*event.due_on) > rule.settings->days) {
      continue;
    }
    if (rule.when && !rule.when->evaluate(view)) continue;
    nlohmann::json values = nlohmann::json::object();
    if (rule.when) {
      for (auto slot : rule.when->fieldsRead()) {
        values[alertCatalog().fields()[slot].name] = jsonOf(context.values[slot]);
      }
    }
    nlohmann::json groups = nlohmann::json::array();
    for (auto id : focus[row].groups) groups.push_back(std::string(id));
    const nlohmann::json reasons = {{"rule", rule.settings->id},
                                    {"when", rule.settings->when.text},
                                    {"values", values},
                                    {"event", event.json()},
                                    {"focus", groups}};
    out.push_back({rule.settings, row, subject, event_id, event.kind,
                   event.date.value_or(table.as_of), reasons.dump()});
  }
}

}  // namespace

std::vector<AlertDecision> AlertEvaluator::onEvent(const tracking::ChangeEvent& event) const {
  std::vector<AlertDecision> decisions;
  const auto trigger = eventTrigger(event.kind);
  if (!trigger) return decisions;
  // History is not news: an event dated long before the table's day (an initial import of
  // years of records) is evaluated but fires nothing. Checked before the detail is parsed: most
  // events of a first import are history.
  const auto occurred = tracking::Date::parse(event.occurred_on);
  if (occurred && occurred->daysUntil(table_.as_of) > max_event_age_days_) return decisions;
  EventFields fields = fieldsOf(event);
  std::optional<std::size_t> row;
  for (auto it = fields.cohorts.rbegin(); it != fields.cohorts.rend() && !row; ++it) {
    for (auto candidate : membersOf(event.person_id)) {
      const MemberFacts& member = table_.members[candidate];
      if (member.cohort_name == *it && member.cohort_status != tracking::CohortStatus::kComplete) {
        row = candidate;
      }
    }
  }
  if (*trigger == AlertTrigger::kOffenceRecorded && fields.offence_date) {
    // Whether the offence falls in a follow-up is decided now, on today's memberships: when
    // the offence arrived before the outcome that made the child a member (exports of
    // offences usually come before outcomes), ingest could not know.
    fields.in_follow_up = false;
    const auto rows = membersOf(event.person_id);
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      const MemberFacts& member = table_.members[*it];
      if (member.cohort_status != tracking::CohortStatus::kComplete &&
          member.follow_up.contains(*fields.offence_date)) {
        row = *it;
        fields.in_follow_up = true;
        fields.cohort = std::string(member.cohort_name);
        break;
      }
    }
  }
  if (!row) row = latestActiveMember(event.person_id);
  if (!row) return decisions;
  evaluate(rules_, *trigger, table_, focus_, *row, fields, event.id, "", decisions);
  return decisions;
}

std::vector<AlertDecision> AlertEvaluator::onCalendar(
    std::span<const tracking::OpenAction> actions) const {
  std::vector<AlertDecision> decisions;
  bool any[4] = {false, false, false, false};
  for (const auto& rule : rules_.alertRules()) {
    if (!isCalendarTrigger(rule.settings->on)) continue;
    any[static_cast<int>(rule.settings->on) - static_cast<int>(AlertTrigger::kFollowUpEnding)] = true;
  }
  const tracking::Date today = table_.as_of;
  if (any[0] || any[1]) {
    // Each child once: their latest cohort still following up.
    for (const auto& [person_id, rows] : by_person_) {
      std::optional<std::size_t> row;
      for (auto it = rows.rbegin(); it != rows.rend() && !row; ++it) {
        if (table_.members[*it].days_to_follow_up_end >= 0 &&
            table_.members[*it].days_since_index >= 0) {
          row = *it;
        }
      }
      if (!row) continue;
      const MemberFacts& member = table_.members[*row];
      if (any[0]) {
        EventFields fields;
        fields.kind = "follow_up_ending";
        fields.date = member.follow_up.last_day;
        fields.cohort = std::string(member.cohort_name);
        evaluate(rules_, AlertTrigger::kFollowUpEnding, table_, focus_, *row, fields, 0,
                 fields.cohort, decisions);
      }
      if (any[1]) {
        EventFields fields;
        fields.kind = "no_review";
        fields.date = today;
        fields.cohort = std::string(member.cohort_name);
        evaluate(rules_, AlertTrigger::kNoReview, table_, focus_, *row, fields, 0, "", decisions);
      }
    }
  }
  if (any[2] || any[3]) {
    for (const auto& action : actions) {
      if (!action.due_on) continue;
      const auto rows = membersOf(action.person_id);
      if (rows.empty()) continue;
      const std::size_t row = latestActiveMember(action.person_id).value_or(rows.back());
      EventFields fields;
      fields.date = *action.due_on;
      fields.due_on = action.due_on;
      fields.owner = action.owner;
      fields.cohort = std::string(table_.members[row].cohort_name);
      const std::string subject = "action:" + std::to_string(action.id);
      if (any[2] && *action.due_on >= today) {
        fields.kind = "action_due";
        evaluate(rules_, AlertTrigger::kActionDue, table_, focus_, row, fields, 0, subject,
                 decisions);
      }
      if (any[3] && *action.due_on < today) {
        fields.kind = "action_overdue";
        evaluate(rules_, AlertTrigger::kActionOverdue, table_, focus_, row, fields, 0, subject,
                 decisions);
      }
    }
  }
  // by_person_ is unordered: give the calendar's alerts a stable order.
  std::stable_sort(decisions.begin(), decisions.end(), [](const auto& a, const auto& b) {
    return a.member < b.member;
  });
  return decisions;
}

bool withinRealertWindow(tracking::AlertStore& store, const AlertDecision& decision,
                         const MemberFacts& member, tracking::Date today) {
  const auto last = store.lastFired(decision.rule->id, member.person_id, decision.subject);
  if (!last) return false;
  const int days = last->daysUntil(today);
  if (decision.event_id == 0 && days <= 0) return true;  // calendar rules: once a day at most
  return days < decision.rule->realert_days;
}

namespace {

void record(tracking::AlertStore& store, const AlertDecision& decision, const MemberTable& table,
            AlertSink& sink, AlertCycleSummary& summary) {
  const MemberFacts& member = table.members[decision.member];
  if (withinRealertWindow(store, decision, member, table.as_of)) {
    ++summary.alerts_suppressed;
    return;
  }
  tracking::AlertRecord alert;
  alert.rule_id = decision.rule->id;
  alert.person_id = std::string(member.person_id);
  alert.subject = decision.subject;
  alert.event_id = decision.event_id;
  alert.cohort = std::string(member.cohort_name);
  alert.severity = std::string(config::toString(decision.rule->severity));
  alert.deliver = std::string(config::toString(decision.rule->deliver));
  alert.fired_on = table.as_of;
  alert.reasons = decision.reasons;
  alert.id = store.recordAlert(alert);
  sink.alertRecorded(alert, decision, member);
  ++summary.alerts_fired;
  ++summary.fired_by_rule[decision.rule->id];
}

}  // namespace

AlertCycleSummary runAlertCycle(tracking::Store& store, const RuleSet& rules,
                                const MemberTable& table, const std::vector<MemberFocus>& focus,
                                AlertSink& sink, int max_event_age_days, int batch_size) {
  AlertCycleSummary summary;
  const AlertEvaluator evaluator(rules, table, focus, max_event_age_days);
  auto& alerting = store.alerting();
  for (;;) {
    auto tx = store.begin();
    const auto events = alerting.unevaluatedEvents(batch_size);
    if (events.empty()) break;
    for (const auto& event : events) {
      for (const auto& decision : evaluator.onEvent(event)) {
        record(alerting, decision, table, sink, summary);
      }
    }
    alerting.markEvaluatedThrough(events.back().id);
    tx->commit();
    summary.events_evaluated += static_cast<long>(events.size());
  }
  auto tx = store.begin();
  const auto actions = alerting.openActions();
  for (const auto& decision : evaluator.onCalendar(actions)) {
    record(alerting, decision, table, sink, summary);
  }
  tx->commit();
  return summary;
}

}  // namespace cohortwatch::rules
