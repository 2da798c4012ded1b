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
#include "tracking/store.h"

namespace cohortwatch::daemon {

// Everything about rules and messages that can be wrong in a configuration that loaded: the
// conditions (compiled) and the templates (parsed). Empty when all is well.
std::vector<config::ConfigError> checkAlerting(const config::Settings& settings);

struct EvaluationSummary {
  rules::AlertCycleSummary alerts;
  long members = 0;
  long queued = 0;      // outbox rows written
  long unroutable = 0;  // alerts none of whose recipients resolved to a channel
};

class Alerting {
 public:
  // `settings` must outlive this object and must have passed checkAlerting().
  Alerting(const config::Settings& settings, tracking::Store& store);

  EvaluationSummary evaluate(tracking::Date today);
  channels::DispatchSummary dispatch(std::chrono::system_clock::time_point now);
  std::optional<std::chrono::system_clock::time_point> nextDue() { return dispatcher_.nextDue(); }

  const rules::RuleSet& rules() const { return rules_; }
  const channels::Router& router() const { return router_; }

 private:
  const config::Settings& settings_;
  tracking::Store& store_;
  rules::RuleSet rules_;
  channels::Templates templates_;
  channels::Router router_;
  channels::AlertMessages messages_;
  channels::Dispatcher dispatcher_;
};

}  // namespace cohortwatch::daemon
