// Decides which alert rules fire, and records them exactly once.
//
// AlertEvaluator is the pure part: for one change event (cohort_entry, offence_recorded,
// offence_proven, person_changed) or for the calendar (follow_up_ending, no_review, action_due,
// action_overdue) it lists the rules whose trigger matches and whose condition holds, with the
// member they concern and the values that made the condition true.
//
// runAlertCycle() is the part with effects: it takes the events ingest recorded and not yet
// evaluated, in batches, and for each batch in ONE transaction records the alerts that fire
// (unless the same rule fired for the same child and subject within its realert window), hands
// each to the AlertSink (which queues its notifications in the same transaction) and marks the
// events evaluated. A crash anywhere leaves either the whole batch done or none of it, so every
// event is evaluated exactly once across restarts. Calendar rules then run as of the table's
// date in one transaction; they never fire twice for the same child and subject on one day.
//
// The member an event concerns: the child's membership of the cohort the event names (the
// latest, when it names several), otherwise the child's latest cohort that is not complete. An
// event about a child in no cohort (or only complete ones) fires nothing, and so does an event
// dated more than max_event_age_days before the evaluation day: history is not news (the first
// import of years of records must not page anyone).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "rules/rule_set.h"

namespace cohortwatch::rules {

struct AlertDecision {
  const config::AlertRuleSettings* rule = nullptr;
  std::size_t member = 0;  // position in the MemberTable
  std::string subject;     // beyond the child: a cohort, an action id, or empty
  long event_id = 0;       // 0 for calendar rules
  std::string event_kind;
  tracking::Date event_date;
  std::string reasons;  // JSON object: rule, when, values read, event, focus
};

class AlertEvaluator {
 public:
  // All three must outlive the evaluator. Events dated more than max_event_age_days before the
  // table's day fire nothing.
  AlertEvaluator(const RuleSet& rules, const MemberTable& table,
                 const std::vector<MemberFocus>& focus, int max_event_age_days);

  std::vector<AlertDecision> onEvent(const tracking::ChangeEvent& event) const;
  std::vector<AlertDecision> onCalendar(std::span<const tracking::OpenAction> actions) const;

  // The member rows of a child, in table order (by cohort).
  std::span<const std::size_t> membersOf(std::string_view person_id) const;

 private:
  std::optional<std::size_t> latestActiveMember(std::string_view person_id) const;

  const RuleSet& rules_;
  const MemberTable& table_;
  const std::vector<MemberFocus>& focus_;
  int max_event_age_days_;
  std::unordered_map<std::string_view, std::vector<std::size_t>> by_person_;
};

// Receives each alert as it is recorded, inside the transaction that records it (to queue its
// notifications there too). Throwing aborts the batch, which is then retried on the next cycle.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void alertRecorded(const tracking::AlertRecord& alert, const AlertDecision& decision,
                             const MemberFacts& member) = 0;
};

struct AlertCycleSummary {
  long events_evaluated = 0;
  long alerts_fired = 0;
  long alerts_suppressed = 0;  // within their realert window
  std::unordered_map<std::string, long> fired_by_rule;
};

AlertCycleSummary runAlertCycle(tracking::Store& store, const RuleSet& rules,
                                const MemberTable& table, const std::vector<MemberFocus>& focus,
                                AlertSink& sink, int max_event_age_days, int batch_size = 5000);

// Whether `decision` is suppressed because its rule fired for the same child and subject less
// than realert_days before `today` (and, for calendar rules, at all today).
bool withinRealertWindow(tracking::AlertStore& store, const AlertDecision& decision,
                         const MemberFacts& member, tracking::Date today);

}  // namespace cohortwatch::rules
