// `cohortwatch run`: the service. Opens (and migrates) the store and runs the configured sources
// and a cohort cycle; with --once it takes every source once, recomputes and exits. Otherwise it
// runs on one Asio event loop until SIGTERM or SIGINT: each source on its own timer (its poll or
// request interval, or its backoff after a failure), directory sources also woken by inotify,
// and the cohorts recomputed after anything was taken. Log lines carry ids and counts only.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>

#include "connectors/source_runner.h"
#include "daemon/alerting.h"
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

// One source on the event loop: a timer for its next run, and its inotify descriptor if any.
class ScheduledSource {
 public:
  ScheduledSource(boost::asio::io_context& io, std::unique_ptr<connectors::SourceRunner> runner,
                  std::function<void()> on_taken)
      : runner_(std::move(runner)), timer_(io), on_taken_(std::move(on_taken)) {
    if (runner_->watchDescriptor() >= 0) {
      watch_ = std::make_unique<boost::asio::posix::stream_descriptor>(io, ::dup(runner_->watchDescriptor()));
      waitForChange();
    }
  }

  void start() { schedule(std::chrono::seconds(0)); }

 private:
  void schedule(std::chrono::seconds delay) {
    timer_.expires_after(delay);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) runNow();
    });
  }

  void runNow() {
    connectors::SourceRun run;
    try {
      run = runner_->runOnce();
    } catch (const std::exception& e) {  // a store error: logged, retried at the next interval
      spdlog::error("source {}: {}", runner_->name(), e.what());
      schedule(runner_->interval());
      return;
    }
    if (run.files_taken > 0 || run.rows_taken > 0) on_taken_();
    schedule(run.retry_in ? *run.retry_in : runner_->interval());
  }

  // A change in the folder: look again once a file written now could have settled.
  void waitForChange() {
    watch_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this](const boost::system::error_code& ec) {
                         if (ec) return;
                         runner_->drainEvents();
                         schedule(std::chrono::seconds(1));
                         waitForChange();
                       });
  }

  std::unique_ptr<connectors::SourceRunner> runner_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> watch_;
  std::function<void()> on_taken_;
};

}  // namespace

int runService(Invocation& invocation) {
  if (!invocation.arguments.empty()) throw UsageError("run takes no arguments");
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  const tracking::SystemClock clock;
  const auto state_dir = std::filesystem::absolute(settings->database.path).parent_path();
  spdlog::info("cohortwatch started: database {}, schema {}, {} source(s)", settings->database.path,
               store->schemaVersion(), settings->sources.size());

  std::vector<std::unique_ptr<connectors::SourceRunner>> runners;
  for (const auto& source : settings->sources) {
    runners.push_back(std::make_unique<connectors::SourceRunner>(source, *settings, *store, clock, state_dir));
  }

  Alerting alerting(*settings, *store);
  // After the cohorts: the rules on what changed, then whatever is due in the outbox.
  auto cycle = [&] {
    runCycle(*store, *settings, clock);
    alerting.evaluate(clock.today());
    alerting.dispatch(std::chrono::system_clock::now());
  };

  if (invocation.has("once")) {
    for (auto& runner : runners) {
      const auto run = runner->runOnce();
      spdlog::info("{}", run.summaryLine());
    }
    cycle();
    spdlog::info("cycle done; exiting (--once)");
    return kExitOk;
  }

  boost::asio::io_context io;
  // The outbox: woken when its next message is due (a retry), and at least every minute.
  boost::asio::steady_timer outbox_timer(io);
  std::function<void()> scheduleOutbox = [&] {
    auto delay = std::chrono::seconds(60);
    if (const auto next = alerting.nextDue()) {
      const auto until = std::chrono::duration_cast<std::chrono::seconds>(
          *next - std::chrono::system_clock::now());
      delay = std::clamp(until + std::chrono::seconds(1), std::chrono::seconds(1), delay);
    }
    outbox_timer.expires_after(delay);
    outbox_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      try {
        alerting.dispatch(std::chrono::system_clock::now());
      } catch (const std::exception& e) {
        spdlog::error("outbox: {}", e.what());
      }
      scheduleOutbox();
    });
  };
  try {
    cycle();
  } catch (const std::exception& e) {
    spdlog::error("cycle failed: {}", e.what());
  }
  scheduleOutbox();
  // The cohorts are recomputed shortly after sources took something, not after every file.
  boost::asio::steady_timer recompute(io);
  bool recompute_pending = false;
  auto requestRecompute = [&] {
    if (recompute_pending) return;
    recompute_pending = true;
    recompute.expires_after(std::chrono::seconds(5));
    recompute.async_wait([&](const boost::system::error_code& ec) {
      recompute_pending = false;
      if (ec) return;
      try {
        cycle();
      } catch (const std::exception& e) {
        spdlog::error("cycle failed: {}", e.what());
      }
      scheduleOutbox();
    });
  };
  std::vector<std::unique_ptr<ScheduledSource>> scheduled;
  for (auto& runner : runners) {
    scheduled.push_back(std::make_unique<ScheduledSource>(io, std::move(runner), requestRecompute));
    scheduled.back()->start();
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (!ec) spdlog::info("signal {} received; stopping", signal);
    io.stop();
  });
  io.run();
  return kExitOk;
}

}  // namespace cohortwatch::daemon
