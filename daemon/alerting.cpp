#include "daemon/alerting.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <climits>

#include "channels/alert_notifier.h"
#include "rules/member_table.h"

namespace cohortwatch::daemon {

namespace {

rules::RuleSet compiledRules(const config::Settings& settings) {
  auto compiled = rules::RuleSet::compile(settings);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&compiled)) {
    throw std::invalid_argument("rules do not compile: " + errors->front().toString());
  }
  return std::move(std::get<rules::RuleSet>(compiled));
}

channels::Templates loadedTemplates(const config::Settings& settings) {
  auto loaded = channels::Templates::load(settings.notifications);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    throw std::invalid_argument("templates do not load: " + errors->front().toString());
  }
  return std::move(std::get<channels::Templates>(loaded));
}

std::string hostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

std::vector<config::ConfigError> checkAlerting(const config::Settings& settings) {
  std::vector<config::ConfigError> errors;
  auto compiled = rules::RuleSet::compile(settings);
  if (auto* found = std::get_if<std::vector<config::ConfigError>>(&compiled)) {
    errors.insert(errors.end(), found->begin(), found->end());
  }
  auto loaded = channels::Templates::load(settings.notifications);
  if (auto* found = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    errors.insert(errors.end(), found->begin(), found->end());
  }
  return errors;
}

Alerting::Alerting(const config::Settings& settings, tracking::Store& store)
    : settings_(settings),
      store_(store),
      rules_(compiledRules(settings)),
      templates_(loadedTemplates(settings)),
      router_(settings),
      messages_(templates_, settings.privacy),
      dispatcher_(store, router_, settings.notifications, hostName()) {}

EvaluationSummary Alerting::evaluate(tracking::Date today) {
  EvaluationSummary summary;
  const tracking::Methodology methodology(settings_.methodology);
  const auto table = rules::loadMemberTable(store_, methodology, today);
  const auto focus = rules_.focus(table);
  const auto people = store_.alerting().personDetails();
  channels::AlertNotifier notifier(store_.alerting(), router_, messages_, people);
  summary.alerts = rules::runAlertCycle(store_, rules_, table, focus, notifier,
                                        settings_.notifications.max_event_age_days);
  summary.members = static_cast<long>(table.members.size());
  summary.queued = notifier.queued();
  summary.unroutable = notifier.unroutable();
  if (summary.alerts.events_evaluated > 0 || summary.alerts.alerts_fired > 0) {
    spdlog::info("rules: {} events evaluated, {} alerts fired ({} within their realert window), "
                 "{} messages queued",
                 summary.alerts.events_evaluated, summary.alerts.alerts_fired,
                 summary.alerts.alerts_suppressed, summary.queued);
  }
  if (summary.unroutable > 0) {
    spdlog::warn("rules: {} alerts had no recipient to send to (e.g. a child with no caseworker "
                 "address)",
                 summary.unroutable);
  }
  return summary;
}

channels::DispatchSummary Alerting::dispatch(std::chrono::system_clock::time_point now) {
  return dispatcher_.deliverDue(now);
}

}  // namespace cohortwatch::daemon
