// `cohortwatch run`: the service. `--once` runs one full cycle in the foreground and exits (for
// cron users, the demo and tests): every source once, the cohorts recomputed, the rules evaluated,
// what is due in the outbox delivered. Without it, the long-running service (daemon/service.h)
// runs until SIGTERM or SIGINT, restarting on a new configuration after a SIGHUP when it is valid.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <sstream>

#include "connectors/source_runner.h"
#include "daemon/alerting.h"
#include "daemon/commands.h"
#include "daemon/service.h"
#include "tracking/clock.h"
#include "tracking/cohort_engine.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

namespace {

int runOnce(const config::Settings& settings, const tracking::Clock& clock) {
  auto store = tracking::openSqliteStore(settings.database);
  const auto state_dir = std::filesystem::absolute(settings.database.path).parent_path();
  spdlog::info("cohortwatch started: database {}, schema {}, {} source(s), {} alert rule(s)",
               settings.database.path, store->schemaVersion(), settings.sources.size(),
               settings.alerts.size());
  for (const auto& source : settings.sources) {
    connectors::SourceRunner runner(source, settings, *store, clock, state_dir);
    spdlog::info("{}", runner.runOnce().summaryLine());
  }
  const tracking::Methodology methodology(settings.methodology);
  const auto data = store->loadCohortData();
  const auto results = tracking::CohortEngine(methodology).compute(data, {clock.today(), false});
  for (const auto& cohort : results.cohorts) {
    if (cohort.status == tracking::CohortStatus::kComplete) continue;
    spdlog::info("cohort {} {}: {} members, {} reoffenders, binary rate {:.1f}% (provisional)",
                 cohort.quarter.name(), toString(cohort.status), cohort.measures.cohort_size,
                 cohort.measures.reoffenders, cohort.measures.binary_rate);
  }
  if (!results.warnings.empty()) {
    spdlog::warn("{} data-quality warnings (cohortwatch report warnings)", results.warnings.size());
  }
  Alerting alerting(settings, *store);
  alerting.evaluate(clock.today());
  // Schedules: a slot that passed since the last run (within catch_up) is produced now.
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  for (const auto& entry : settings.schedules) {
    auto parsed = schedule::CronExpression::parse(entry.cron);
    const auto* zone = schedule::findZone(entry.zone);
    if (!std::holds_alternative<schedule::CronExpression>(parsed) || zone == nullptr) continue;
    const auto start =
        startSchedule(*store, entry, std::get<schedule::CronExpression>(parsed), zone, now);
    if (start.fire_now) alerting.produce(entry, *start.fire_now, clock.today());
  }
  alerting.dispatch(std::chrono::system_clock::now());
  spdlog::info("cycle done; exiting (--once)");
  return kExitOk;
}

}  // namespace

int runService(Invocation& invocation) {
  if (!invocation.arguments.empty()) throw UsageError("run takes no arguments");
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  const tracking::SystemClock clock;
  if (invocation.has("once")) return runOnce(*settings, clock);

  // After a SIGHUP the file is read again, with the command line's --db and --log-level applied
  // as at start; its errors go to the log, and the running configuration stays if there are any.
  auto reload = [&invocation]() -> std::optional<config::Settings> {
    std::ostringstream errors;
    Invocation again{invocation.command, invocation.options, invocation.arguments, invocation.out,
                     errors};
    auto fresh = again.loadSettings();
    if (!fresh) {
      std::istringstream lines(errors.str());
      for (std::string line; std::getline(lines, line);) spdlog::error("{}", line);
    }
    return fresh;
  };
  while (settings) {
    std::optional<config::Settings> next;
    {
      Service service(*settings, clock, reload);
      next = service.run();
    }
    settings = std::move(next);  // nullopt after SIGTERM or SIGINT
  }
  return kExitOk;
}

}  // namespace cohortwatch::daemon
