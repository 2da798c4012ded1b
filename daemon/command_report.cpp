// `cohortwatch report`: the cohort engine's results as tables, JSON or CSV; the performance
// report also as an HTML page with its charts (reports/performance_report.h).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "channels/board_report.h"
#include "daemon/commands.h"
#include "reports/cohort_reports.h"
#include "reports/html.h"
#include "reports/performance_report.h"
#include "rules/member_table.h"
#include "rules/rule_set.h"
#include "tracking/clock.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

namespace {

tracking::Quarter quarterOption(const Invocation& invocation) {
  auto text = invocation.value("cohort");
  if (!text) throw UsageError("--cohort QUARTER is required, e.g. --cohort 2025Q1");
  auto quarter = tracking::Quarter::parse(*text);
  if (!quarter) throw UsageError("--cohort: expected a quarter like 2025Q1, got '" + *text + "'");
  return *quarter;
}

reports::Period periodOption(const Invocation& invocation) {
  if (invocation.has("cohort") == invocation.has("year")) {
    throw UsageError("give exactly one of --cohort QUARTER (e.g. 2025Q1) or --year YYYY/YY (e.g. 2024/25)");
  }
  if (invocation.has("cohort")) return quarterOption(invocation);
  const std::string text = *invocation.value("year");
  auto year = tracking::FinancialYear::parse(text);
  if (!year) throw UsageError("--year: expected a financial year like 2024/25, got '" + text + "'");
  return *year;
}

// The performance page: the period's table, then the charts of the eight quarters up to its end.
void writePerformancePage(const config::Settings& settings, tracking::Store& store,
                           const reports::Table& summary, const reports::Period& period,
                           tracking::Date as_of, std::ostream& out) {
  const tracking::Methodology methodology(settings.methodology);
  const auto compiled = rules::RuleSet::compile(settings);
  const auto& rule_set = std::get<rules::RuleSet>(compiled);  // checked by loadSettings
  const auto table = rules::loadMemberTable(store, methodology, as_of);
  const auto inputs = channels::performanceInputs(table, rule_set.focus(table), settings);
  tracking::Quarter last;
  std::string name;
  if (const auto* quarter = std::get_if<tracking::Quarter>(&period)) {
    last = *quarter;
    name = quarter->name();
  } else {
    const auto& year = std::get<tracking::FinancialYear>(period);
    last = year.quarters().back();
    name = year.name();
  }
  reports::renderPerformancePage(
      fmt::format("Proven reoffending against the national average: {}, as of {}", name, as_of.toString()),
      summary, reports::performanceCharts(inputs, last), out);
}

}  // namespace

int runReport(Invocation& invocation) {
  if (invocation.arguments.size() != 1) {
    throw UsageError("name one report: cohorts, performance, members, warnings or rejected");
  }
  const std::string subject = invocation.arguments.front();
  if (subject != "cohorts" && subject != "performance" && subject != "members" &&
      subject != "warnings" && subject != "rejected") {
    throw UsageError("unknown report '" + subject + "' (cohorts, performance, members, warnings, rejected)");
  }
  const auto format = formatOption(invocation, subject == "performance");
  const tracking::Date as_of = asOfOption(invocation);
  // Check the options that need no data before touching the store.
  std::optional<reports::Period> period;
  if (subject == "performance") period = periodOption(invocation);
  std::optional<tracking::Quarter> quarter;
  if (subject == "members") quarter = quarterOption(invocation);

  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  if (subject == "rejected") {
    reports::render(reports::rejectedRowsTable(store->pendingRejected()), format, invocation.out);
    return kExitOk;
  }

  const auto data = store->loadCohortData();
  const tracking::Methodology methodology(settings->methodology);
  const tracking::CohortEngine engine(methodology);
  const auto results = engine.compute(data, {as_of, subject == "members"});
  spdlog::debug("computed {} cohorts as of {} from {} people", results.cohorts.size(),
                as_of.toString(), data.people.size());

  reports::Table table;
  if (subject == "cohorts") {
    table = reports::cohortsTable(results);
  } else if (subject == "performance") {
    table = reports::performanceTable(results, methodology, *period, settings->national);
    if (format == reports::Format::kHtml) {
      writePerformancePage(*settings, *store, table, *period, as_of, invocation.out);
      return kExitOk;
    }
  } else if (subject == "members") {
    table = reports::membersTable(results, data, *quarter);
  } else {
    table = reports::warningsTable(results);
  }
  reports::render(table, format, invocation.out);
  return kExitOk;
}

}  // namespace cohortwatch::daemon
