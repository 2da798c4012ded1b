// `cohortwatch rules check|test` and `cohortwatch analyse retrospective`: the rules as the
// configuration defines them, a dry run of them on today's (or another day's) data, and the
// analysis of past cohorts that suggests which focus groups to write.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <sstream>

#include "daemon/alerting.h"
#include "daemon/commands.h"
#include "rules/alert_evaluator.h"
#include "rules/member_table.h"
#include "rules/retrospective.h"

namespace cohortwatch::daemon {

namespace {

reports::Table rulesTable(const config::Settings& settings) {
  reports::Table table;
  table.columns = {{"kind", "Kind"},         {"id", "Id"},           {"on", "On"},
                   {"when", "When"},         {"weight", "Weight", 1}, {"notify", "Notify"},
                   {"deliver", "Deliver"},   {"severity", "Severity"}, {"realert_days", "Realert (days)", 0}};
  for (const auto& group : settings.focus_groups) {
    table.rows.push_back({std::string("focus_group"), group.id, reports::Cell{}, group.when.text,
                          group.weight, reports::Cell{}, reports::Cell{}, reports::Cell{},
                          reports::Cell{}});
  }
  for (const auto& alert : settings.alerts) {
    std::string on(config::toString(alert.on));
    if (alert.days > 0) on += fmt::format(" ({} days)", alert.days);
    std::string notify;
    for (const auto& recipient : alert.notify) notify += (notify.empty() ? "" : ", ") + recipient;
    table.rows.push_back({std::string("alert"), alert.id, on,
                          alert.when.text.empty() ? reports::Cell{} : reports::Cell(alert.when.text),
                          reports::Cell{}, notify, std::string(config::toString(alert.deliver)),
                          std::string(config::toString(alert.severity)),
                          static_cast<long>(alert.realert_days)});
  }
  return table;
}

int rulesCheck(Invocation& invocation, const config::Settings& settings) {
  const auto format = formatOption(invocation);
  if (format == reports::Format::kTable) {
    long immediate = std::count_if(settings.alerts.begin(), settings.alerts.end(), [](const auto& a) {
      return a.deliver == config::DeliverWhen::kImmediately;
    });
    invocation.out << fmt::format("ok: {} focus group(s), {} alert rule(s) ({} immediate, {} for "
                                  "the digest); every condition compiles and every template parses\n\n",
                                  settings.focus_groups.size(), settings.alerts.size(), immediate,
                                  static_cast<long>(settings.alerts.size()) - immediate);
  }
  reports::render(rulesTable(settings), format, invocation.out);
  return kExitOk;
}

std::string reasonsText(const std::string& reasons_json) {
  const auto reasons = nlohmann::json::parse(reasons_json, nullptr, false);
  if (!reasons.is_object() || !reasons.contains("values")) return {};
  std::string text;
  for (const auto& [field, value] : reasons["values"].items()) {
    if (field == "event.old" || field == "event.new") continue;
    text += (text.empty() ? "" : ", ") + field + "=" +
            (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

int rulesTest(Invocation& invocation, const config::Settings& settings) {
  const auto format = formatOption(invocation);
  const tracking::Date as_of = asOfOption(invocation);
  auto store = tracking::openSqliteStore(settings.database);
  auto compiled = rules::RuleSet::compile(settings);
  const auto& rule_set = std::get<rules::RuleSet>(compiled);  // checked by loadSettings
  const tracking::Methodology methodology(settings.methodology);
  const auto table = rules::loadMemberTable(*store, methodology, as_of);
  const auto focus = rule_set.focus(table);
  const rules::AlertEvaluator evaluator(rule_set, table, focus,
                                        settings.notifications.max_event_age_days);

  // What would fire: the events not yet evaluated, then the calendar rules.
  std::vector<rules::AlertDecision> decisions;
  auto& alerting = store->alerting();
  for (const auto& event : alerting.unevaluatedEvents(1'000'000)) {
    auto fired = evaluator.onEvent(event);
    decisions.insert(decisions.end(), fired.begin(), fired.end());
  }
  const auto actions = alerting.openActions();
  auto calendar = evaluator.onCalendar(actions);
  decisions.insert(decisions.end(), calendar.begin(), calendar.end());

  // Priority: focus weights, plus the severity of each alert that would fire now.
  std::map<std::size_t, double> alert_weight;
  for (const auto& decision : decisions) {
    alert_weight[decision.member] += rules::severityWeight(decision.rule->severity);
  }

  reports::Table members;
  members.columns = {{"person_id", "Child"},  {"cohort", "Cohort"},     {"status", "Status"},
                     {"focus", "Focus groups"}, {"priority", "Priority", 1}};
  std::vector<std::size_t> listed;
  for (std::size_t i = 0; i < table.members.size(); ++i) {
    if (table.members[i].cohort_status == tracking::CohortStatus::kComplete) continue;
    if (focus[i].groups.empty() && alert_weight.count(i) == 0) continue;
    listed.push_back(i);
  }
  const auto priority = [&](std::size_t i) {
    auto it = alert_weight.find(i);
    return focus[i].weight + (it == alert_weight.end() ? 0.0 : it->second);
  };
  std::stable_sort(listed.begin(), listed.end(),
                   [&](std::size_t a, std::size_t b) { return priority(a) > priority(b); });
  for (auto i : listed) {
    std::string groups;
    for (auto id : focus[i].groups) groups += (groups.empty() ? "" : ", ") + std::string(id);
    members.rows.push_back({std::string(table.members[i].person_id),
                            std::string(table.members[i].cohort_name),
                            std::string(tracking::toString(table.members[i].cohort_status)),
                            groups, priority(i)});
  }
  members.notes.push_back(fmt::format(
      "{} of {} members of cohorts still being tracked are in a focus group or would be alerted "
      "about, as of {}.",
      listed.size(),
      std::count_if(table.members.begin(), table.members.end(),
                    [](const auto& m) { return m.cohort_status != tracking::CohortStatus::kComplete; }),
      as_of.toString()));

  reports::Table alerts;
  alerts.columns = {{"rule", "Rule"},       {"on", "On"},         {"person_id", "Child"},
                    {"cohort", "Cohort"},   {"date", "Date"},     {"outcome", "Outcome"},
                    {"deliver", "Deliver"}, {"why", "Why"}};
  std::set<std::tuple<std::string, std::string_view, std::string>> would_fire;
  for (const auto& decision : decisions) {
    const auto& member = table.members[decision.member];
    // Suppressed by an alert already recorded, or by one this dry run would record first.
    const bool suppressed =
        rules::withinRealertWindow(alerting, decision, member, as_of) ||
        ((decision.rule->realert_days > 0 || decision.event_id == 0) &&
         !would_fire.emplace(decision.rule->id, member.person_id, decision.subject).second);
    alerts.rows.push_back({decision.rule->id, decision.event_kind, std::string(member.person_id),
                           std::string(member.cohort_name), decision.event_date.toString(),
                           std::string(suppressed ? "suppressed (realert window)" : "would fire"),
                           std::string(config::toString(decision.rule->deliver)),
                           reasonsText(decision.reasons)});
  }
  alerts.notes.push_back("A dry run: nothing was recorded and nothing was sent.");

  if (format == reports::Format::kJson) {
    std::ostringstream focus_json, alerts_json;
    reports::render(members, format, focus_json);
    reports::render(alerts, format, alerts_json);
    invocation.out << nlohmann::json{{"as_of", as_of.toString()},
                                     {"members", nlohmann::json::parse(focus_json.str())},
                                     {"alerts", nlohmann::json::parse(alerts_json.str())}}
                          .dump(2)
                   << '\n';
    return kExitOk;
  }
  if (format == reports::Format::kTable) invocation.out << "Members to focus on\n\n";
  reports::render(members, format, invocation.out);
  invocation.out << '\n';
  if (format == reports::Format::kTable) invocation.out << "Alerts that would fire\n\n";
  reports::render(alerts, format, invocation.out);
  return kExitOk;
}

tracking::Quarter quarterValue(const Invocation& invocation, const char* name) {
  const auto text = invocation.value(name);
  if (!text) throw UsageError(fmt::format("--{} QUARTER is required, e.g. --{} 2023Q1", name, name));
  const auto quarter = tracking::Quarter::parse(*text);
  if (!quarter) throw UsageError(fmt::format("--{}: expected a quarter like 2023Q1, got '{}'", name, *text));
  return *quarter;
}

}  // namespace

int runRules(Invocation& invocation) {
  if (invocation.arguments.size() != 1 ||
      (invocation.arguments[0] != "check" && invocation.arguments[0] != "test")) {
    throw UsageError("say check or test");
  }
  if (invocation.arguments[0] == "check" && invocation.has("as-of")) {
    throw UsageError("--as-of applies to rules test");
  }
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  if (invocation.arguments[0] == "check") return rulesCheck(invocation, *settings);
  return rulesTest(invocation, *settings);
}

int runAnalyse(Invocation& invocation) {
  if (invocation.arguments.size() != 1 || invocation.arguments[0] != "retrospective") {
    throw UsageError("say retrospective");
  }
  rules::RetrospectiveOptions options;
  options.from = quarterValue(invocation, "from");
  options.to = quarterValue(invocation, "to");
  if (options.to < options.from) throw UsageError("--to must not be before --from");
  if (auto text = invocation.value("min-n")) {
    try {
      options.min_n = std::stol(*text);
    } catch (const std::exception&) {
      options.min_n = -1;
    }
    if (options.min_n < 1) throw UsageError("--min-n: expected a whole number of at least 1");
  }
  const auto format = formatOption(invocation, true);
  const tracking::Date as_of = asOfOption(invocation);
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  const tracking::Methodology methodology(settings->methodology);
  const auto table = rules::loadMemberTable(*store, methodology, as_of);
  const auto analysis = rules::analyseRetrospective(table, options);
  rules::renderRetrospective(analysis, format, invocation.has("suggest"), invocation.out);
  return kExitOk;
}

}  // namespace cohortwatch::daemon
