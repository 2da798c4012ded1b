// The alerting half of the service, wired from the configuration: the compiled rules, the
// templates, the routing, and the outbox dispatcher. `evaluate` builds the member table as of a
// day, evaluates focus groups and alert rules (events in exactly-once batches, then the calendar)
// and queues the notifications; `dispatch` delivers what is due. Both are short, self-contained
// steps the event loop (or `run --once`) calls.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "channels/alert_messages.h"
#include "channels/dispatcher.h"
#include "channels/routing.h"
#include "channels/templates.h"
#include "config/config_loader.h"
#include "rules/alert_evaluator.h"
#include "rules/rule_set.h"
#include "schedule/catch_up.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

// Everything about rules and messages that can be wrong in a configuration that loaded: the
// conditions (compiled) and the templates (parsed). Empty when all is well.
std::vector<config::ConfigError> checkAlerting(const config::Settings& settings);

// What one schedule slot produced.
struct ScheduleOutput {
  bool already_done = false;  // the slot (or a later one) was recorded before: nothing again
  bool empty = false;         // nothing to say, and the schedule does not send empty ones
  long queued = 0;            // outbox rows written
};

struct EvaluationSummary {
  rules::AlertCycleSummary alerts;
  long members = 0;
  long queued = 0;      // outbox rows written
  long unroutable = 0;  // alerts none of whose recipients resolved to a channel
};

// A schedule at start-up: the slot to send now (one missed while the service was down, within
// catch_up) and the next slot to wait for; missed slots beyond catch_up are logged as skipped.
// The first time a schedule is seen, its latest past slot is recorded as a baseline without
// sending anything, so that from then on a missed slot is caught up (also with `run --once`).
struct ScheduleStart {
  std::optional<std::chrono::sys_seconds> fire_now;
  std::optional<std::chrono::sys_seconds> next;
};
ScheduleStart startSchedule(tracking::Store& store, const schedule::ScheduleSettings& settings,
                            const schedule::CronExpression& expression,
                            const date::time_zone* zone, std::chrono::sys_seconds now);

class Alerting {
 public:
  // `settings` must outlive this object and must have passed checkAlerting().
  Alerting(const config::Settings& settings, tracking::Store& store);

  EvaluationSummary evaluate(tracking::Date today);
  channels::DispatchSummary dispatch(std::chrono::system_clock::time_point now);
  // Produces what the schedule's slot asks for (digest, reminders or report) as of `today`, and
  // records the slot, in one transaction: a slot is produced at most once, whatever restarts.
  ScheduleOutput produce(const schedule::ScheduleSettings& schedule, std::chrono::sys_seconds slot,
                         tracking::Date today);
  // The same outside the schedule's slots (`cohortwatch produce`): the schedule's own slots, and
  // the alerts waiting for its digest, are left as they were. A digest queued on demand is what
  // managers saw, so its snapshot is recorded: the next digest's changes are since this one.
  ScheduleOutput produceNow(const schedule::ScheduleSettings& schedule, tracking::Date today);
  std::optional<std::chrono::system_clock::time_point> nextDue() { return dispatcher_.nextDue(); }

  const rules::RuleSet& rules() const { return rules_; }
  const channels::Router& router() const { return router_; }

 private:
  ScheduleOutput produceSlot(const schedule::ScheduleSettings& schedule,
                             std::chrono::sys_seconds slot, tracking::Date today, bool record);

  const config::Settings& settings_;
  tracking::Store& store_;
  rules::RuleSet rules_;
  channels::Templates templates_;
  channels::Router router_;
  channels::AlertMessages messages_;
  channels::Dispatcher dispatcher_;
};

}  // namespace cohortwatch::daemon
