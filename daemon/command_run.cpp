// `cohortwatch run`: the service. Opens (and migrates) the store, runs a cycle, and with --once
// exits; otherwise waits on an Asio event loop until SIGTERM or SIGINT. A cycle recomputes the
// cohorts and logs one aggregate line per running cohort (no personal data). Sources, rules,
// channels and schedules join the loop as they land.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "daemon/commands.h"
#include "tracking/clock.h"
#include "tracking/cohort_engine.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

namespace {

void runCycle(tracking::Store& store, const config::Settings& settings, const tracking::Clock& clock) {
  const tracking::Methodology methodology(settings.methodology);
  const auto data = store.loadCohortData();
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
}

}  // namespace

int runService(Invocation& invocation) {
  if (!invocation.arguments.empty()) throw UsageError("run takes no arguments");
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  const tracking::SystemClock clock;
  spdlog::info("cohortwatch started: database {}, schema {}", settings->database.path,
               store->schemaVersion());
  runCycle(*store, *settings, clock);
  if (invocation.has("once")) {
    spdlog::info("cycle done; exiting (--once)");
    return kExitOk;
  }
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (!ec) spdlog::info("signal {} received; stopping", signal);
    io.stop();
  });
  io.run();
  return kExitOk;
}

}  // namespace cohortwatch::daemon
