#include "daemon/service.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "config/transport_warnings.h"
#include "connectors/source_runner.h"
#include "daemon/alerting.h"
#include "daemon/admin_server.h"
#include "daemon/lane.h"
#include "daemon/metrics.h"
#include "daemon/systemd_notify.h"
#include "schedule/catch_up.h"
#include "tracking/clock.h"
#include "tracking/cohort_engine.h"

namespace cohortwatch::daemon {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Logs the running cohorts' provisional figures after a recompute.
void logCohorts(tracking::Store& store, const config::Settings& settings, tracking::Date today) {
  const tracking::Methodology methodology(settings.methodology);
  const auto data = store.loadCohortData();
  const auto results = tracking::CohortEngine(methodology).compute(data, {today, false});
  for (const auto& cohort : results.cohorts) {
    if (cohort.status == tracking::CohortStatus::kComplete) continue;
    spdlog::info("cohort {} {}: {} members, {} reoffenders, binary rate {:.1f}% (provisional)",
                 cohort.quarter.name(), toString(cohort.status), cohort.measures.cohort_size,
                 cohort.measures.reoffenders, cohort.measures.binary_rate);
  }
}

}  // namespace

struct Service::Impl {
  Impl(const config::Settings& config, const tracking::Clock& today_clock, Reload reloader)
      : settings(config),
        clock(today_clock),
        reload(std::move(reloader)),
        pool(static_cast<std::size_t>(std::clamp<int>(static_cast<int>(config.sources.size()) + 2, 2, 8))),
        signals(loop, SIGINT, SIGTERM, SIGHUP),
        cycle_timer(loop),
        outbox_timer(loop),
        state_dir(std::filesystem::absolute(config.database.path).parent_path()) {}

  // A source on its lane: its timer, and its inotify descriptor if it has one.
  struct Source {
    std::unique_ptr<Lane> lane;
    std::unique_ptr<connectors::SourceRunner> runner;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::unique_ptr<boost::asio::posix::stream_descriptor> watch;
    bool running = false;
    bool again = false;     // asked to run while running: run once more right after
    bool watching = false;  // an inotify wait is armed
  };

  // A schedule: its expression, zone and timer (on the wall clock: slots are wall-clock times).
  struct Schedule {
    const schedule::ScheduleSettings* settings = nullptr;
    std::optional<schedule::CronExpression> expression;  // always set once started
    const date::time_zone* zone = nullptr;
    std::unique_ptr<boost::asio::system_timer> timer;
  };

  void start() {
    notifier.status("starting");
    cycle_lane = makeLane("cycle");
    outbox_lane = makeLane("outbox");
    evaluator = std::make_unique<Alerting>(settings, cycle_lane->store());
    dispatcher = std::make_unique<Alerting>(settings, outbox_lane->store());
    for (const auto& source : settings.sources) {
      auto item = std::make_unique<Source>();
      item->lane = makeLane("source " + source.name);
      item->runner = std::make_unique<connectors::SourceRunner>(source, settings, item->lane->store(),
                                                                clock, state_dir);
      item->timer = std::make_unique<boost::asio::steady_timer>(loop);
      if (item->runner->watchDescriptor() >= 0) {
        item->watch = std::make_unique<boost::asio::posix::stream_descriptor>(
            loop, ::dup(item->runner->watchDescriptor()));
      }
      sources.push_back(std::move(item));
    }
    spdlog::info("cohortwatch started: database {}, schema {}, {} source(s), {} alert rule(s), "
                 "{} schedule(s)",
                 settings.database.path, cycle_lane->store().schemaVersion(), sources.size(),
                 settings.alerts.size(), settings.schedules.size());
    for (const auto& warning : config::transportWarnings(settings)) spdlog::warn("{}", warning);
    service_metrics.initialise(settings);
    startAdmin();
    waitForSignal();
    for (auto& source : sources) {
      runSource(*source, milliseconds(0));
      if (source->watch) waitForChange(*source);
    }
    requestCycle(milliseconds(0));
    requestDispatch(milliseconds(0));  // what a previous run left pending, after a crash too
    startSchedules();
    startWatchdog();
    notifier.ready();
    notifier.status(fmt::format("running: {} source(s), {} schedule(s)", sources.size(),
                                schedules.size()));
  }

  // --- the admin HTTP server: health and metrics ------------------------------------------------

  void startAdmin() {
    if (!settings.admin.enabled) return;
    auto options = adminServerOptions(settings.admin);
    if (!options.options) {
      // The token could not be read: health stays available, metrics are refused.
      spdlog::error("admin: {}; /metrics is refused until it can be read", options.error);
      options.options.emplace();
      options.options->address = settings.admin.address;
      options.options->port = static_cast<std::uint16_t>(settings.admin.port);
    }
    AdminHandlers handlers;
    handlers.health = [this] { return health(); };
    handlers.metrics = [this] {
      service_metrics.updateProcess();
      return registry.render();
    };
    admin = std::make_unique<AdminServer>(loop, std::move(*options.options), std::move(handlers));
    if (auto started = admin->start(); !started.ok) {
      spdlog::error("admin: cannot listen on {}; carrying on without health and metrics", started.error);
      admin.reset();
    }
  }

  // Alive: this runs on the event loop, so an answer means it turns. Writable: the database file
  // and its folder can be written, and no lane has failed to write in the last minute.
  HealthReport health() const {
    const auto db = std::filesystem::path(settings.database.path);
    const bool files_writable = ::access(db.c_str(), W_OK) == 0 &&
                                ::access(db.parent_path().empty() ? "." : db.parent_path().c_str(), W_OK) == 0;
    const auto failed = last_store_failure.load();
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    const bool recent_failure =
        failed != 0 && now - failed < std::chrono::steady_clock::duration(std::chrono::minutes(1)).count();
    const bool ok = files_writable && !recent_failure && !stopping;
    nlohmann::json details = {{"loop", stopping ? "stopping" : "alive"},
                              {"database", ok ? "writable" : files_writable ? "failing" : "not writable"},
                              {"sources", sources.size()},
                              {"schedules", schedules.size()}};
    return {ok, details};
  }

  // --- schedules -------------------------------------------------------------------------------

  void startSchedules() {
    const auto now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
    for (const auto& entry : settings.schedules) {
      auto parsed = schedule::CronExpression::parse(entry.cron);
      const auto* zone = schedule::findZone(entry.zone);
      if (!std::holds_alternative<schedule::CronExpression>(parsed) || zone == nullptr) continue;
      auto item = std::make_unique<Schedule>();
      item->settings = &entry;
      item->expression.emplace(std::get<schedule::CronExpression>(parsed));
      item->zone = zone;
      item->timer = std::make_unique<boost::asio::system_timer>(loop);
      const auto decision =
          startSchedule(cycle_lane->store(), entry, *item->expression, zone, now);
      if (decision.fire_now) produce(*item, *decision.fire_now);
      if (decision.next) armSchedule(*item, *decision.next);
      schedules.push_back(std::move(item));
    }
  }

  void armSchedule(Schedule& item, std::chrono::sys_seconds slot) {
    item.timer->expires_at(std::chrono::system_clock::time_point(slot));
    item.timer->async_wait([this, &item, slot](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      produce(item, slot);
      if (auto next = schedule::nextSlot(*item.expression, item.zone, slot)) armSchedule(item, *next);
    });
  }

  void produce(Schedule& item, std::chrono::sys_seconds slot) {
    auto output = std::make_shared<std::optional<ScheduleOutput>>();
    cycle_lane->post(
        [this, &item, slot, output](tracking::Store&) {
          *output = evaluator->produce(*item.settings, slot, clock.today());
        },
        [this, &item, output] {
          if (!*output) return;  // failed (logged): the slot is caught up at the next start
          service_metrics.scheduleSucceeded(item.settings->name, std::chrono::system_clock::now());
          if ((*output)->queued > 0) requestDispatch(milliseconds(0));
        });
  }

  // --- systemd watchdog: pinged from the event loop, so a stuck loop stops the pings -----------

  void startWatchdog() {
    const auto interval = notifier.watchdogInterval();
    if (!interval) return;
    watchdog_period = std::chrono::duration_cast<milliseconds>(*interval / 2);
    pingWatchdog();
  }

  void pingWatchdog() {
    notifier.watchdog();
    watchdog_timer.expires_after(watchdog_period);
    watchdog_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !stopping) pingWatchdog();
    });
  }

  std::unique_ptr<Lane> makeLane(std::string name) {
    auto lane = std::make_unique<Lane>(std::move(name), pool, loop, settings.database, stopping);
    lane->onStoreError([this] {
      last_store_failure = std::chrono::steady_clock::now().time_since_epoch().count();
    });
    return lane;
  }

  // --- sources ---------------------------------------------------------------------------------

  void runSource(Source& source, milliseconds delay) {
    source.timer->expires_after(delay);
    source.timer->async_wait([this, &source](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      if (source.running) {
        source.again = true;
        return;
      }
      source.running = true;
      auto run = std::make_shared<connectors::SourceRun>();
      source.lane->post(
          [&source, run](tracking::Store&) {
            source.runner->drainEvents();
            *run = source.runner->runOnce();
            if (run->files_taken > 0 || run->files_rejected > 0 || run->requests > 0 || !run->error.empty()) {
              spdlog::info("{}", run->summaryLine());
            }
          },
          [this, &source, run] {
            source.running = false;
            service_metrics.sourceRun(run->source, run->rows_taken, run->rows_rejected,
                                      run->error.empty()
                                          ? std::optional(std::chrono::system_clock::now())
                                          : std::nullopt);
            if (run->files_taken > 0 || run->rows_taken > 0) requestCycle(milliseconds(20));
            if (source.again) {
              source.again = false;
              runSource(source, milliseconds(0));
            } else {
              runSource(source, run->retry_in ? *run->retry_in : source.runner->interval());
            }
            if (source.watch && !source.watching) waitForChange(source);
          });
    });
  }

  // A change in the folder: look again shortly (files written now settle or get their marker).
  void waitForChange(Source& source) {
    source.watching = true;
    source.watch->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                             [this, &source](const boost::system::error_code& ec) {
                               source.watching = false;
                               if (ec || stopping) return;
                               // Re-armed once the lane has drained the events (runSource).
                               runSource(source, milliseconds(50));
                             });
  }

  // --- the cycle: cohorts, rules, then the outbox ----------------------------------------------

  void requestCycle(milliseconds delay) {
    if (stopping) return;
    if (cycle_running) {
      cycle_again = true;
      return;
    }
    if (cycle_scheduled) return;
    cycle_scheduled = true;
    cycle_timer.expires_after(delay);
    cycle_timer.async_wait([this](const boost::system::error_code& ec) {
      cycle_scheduled = false;
      if (ec || stopping) return;
      cycle_running = true;
      auto summary = std::make_shared<EvaluationSummary>();
      cycle_lane->post(
          [this, summary](tracking::Store& store) {
            const auto today = clock.today();
            logCohorts(store, settings, today);
            *summary = evaluator->evaluate(today);
          },
          [this, summary] {
            cycle_running = false;
            service_metrics.eventsEvaluated(summary->alerts.events_evaluated);
            for (const auto& [rule, count] : summary->alerts.fired_by_rule) {
              service_metrics.alertsFired(rule, count);
            }
            if (summary->queued > 0) requestDispatch(milliseconds(0));
            if (cycle_again) {
              cycle_again = false;
              requestCycle(milliseconds(100));
            }
          });
    });
  }

  void requestDispatch(milliseconds delay) {
    if (stopping) return;
    if (dispatch_running) {
      dispatch_again = true;
      return;
    }
    outbox_timer.expires_after(delay);
    outbox_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      dispatch_running = true;
      auto next = std::make_shared<std::optional<std::chrono::system_clock::time_point>>();
      auto counts = std::make_shared<std::vector<tracking::OutboxCounts>>();
      outbox_lane->post(
          [this, next, counts](tracking::Store& store) {
            dispatcher->dispatch(std::chrono::system_clock::now());
            *next = dispatcher->nextDue();
            *counts = store.alerting().outboxCounts();
          },
          [this, next, counts] {
            dispatch_running = false;
            for (const auto& c : *counts) {
              service_metrics.outbox(c.channel, c.pending, c.sent, c.dead, c.retried);
            }
            if (dispatch_again) {
              dispatch_again = false;
              requestDispatch(milliseconds(0));
              return;
            }
            // The next retry, and at least once a minute (messages queued by other commands).
            auto delay_to_next = milliseconds(60'000);
            if (*next) {
              const auto until = std::chrono::duration_cast<milliseconds>(
                  **next - std::chrono::system_clock::now());
              delay_to_next = std::clamp(until + milliseconds(500), milliseconds(100), delay_to_next);
            }
            requestDispatch(delay_to_next);
          });
    });
  }

  // --- signals and stopping --------------------------------------------------------------------

  void waitForSignal() {
    signals.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        spdlog::info("SIGHUP: reading the configuration again");
        notifier.reloading();
        if (auto fresh = reload()) {
          spdlog::info("the configuration is valid; restarting on it");
          reloaded = std::move(fresh);
          stop();
          return;
        }
        spdlog::error("the new configuration is not valid (errors above); carrying on with the "
                      "running one");
        notifier.ready();
        waitForSignal();
        return;
      }
      spdlog::info("signal {} received; stopping", signal);
      stop();
    });
  }

  void stop() {
    stopping = true;
    notifier.stopping();
    notifier.status("stopping: finishing the work in progress");
    signals.cancel();
    cycle_timer.cancel();
    outbox_timer.cancel();
    watchdog_timer.cancel();
    for (auto& item : schedules) item->timer->cancel();
    if (admin) admin->stop();
    for (auto& source : sources) {
      source->timer->cancel();
      if (source->watch) source->watch->cancel();
    }
    // The jobs running now finish (their transactions commit); queued ones are skipped.
    pool.join();
    loop.stop();
  }

  const config::Settings& settings;
  const tracking::Clock& clock;
  Reload reload;
  std::optional<config::Settings> reloaded;
  std::atomic<bool> stopping{false};

  boost::asio::io_context loop;
  boost::asio::thread_pool pool;
  boost::asio::signal_set signals;
  boost::asio::steady_timer cycle_timer;
  boost::asio::steady_timer outbox_timer;
  boost::asio::steady_timer watchdog_timer{loop};
  milliseconds watchdog_period{0};
  SystemdNotifier notifier;
  MetricsRegistry registry;
  ServiceMetrics service_metrics{registry};
  std::unique_ptr<AdminServer> admin;
  std::atomic<std::int64_t> last_store_failure{0};  // steady-clock ticks; 0: never
  std::filesystem::path state_dir;

  std::unique_ptr<Lane> cycle_lane;
  std::unique_ptr<Lane> outbox_lane;
  std::unique_ptr<Alerting> evaluator;
  std::unique_ptr<Alerting> dispatcher;
  std::vector<std::unique_ptr<Source>> sources;
  std::vector<std::unique_ptr<Schedule>> schedules;

  bool cycle_running = false, cycle_again = false, cycle_scheduled = false;
  bool dispatch_running = false, dispatch_again = false;
};

Service::Service(const config::Settings& settings, const tracking::Clock& clock, Reload reload)
    : impl_(std::make_unique<Impl>(settings, clock, std::move(reload))) {}

Service::~Service() {
  // Whatever happened, no worker may outlive the objects its jobs use.
  impl_->stopping = true;
  impl_->pool.join();
}

std::optional<config::Settings> Service::run() {
  impl_->start();
  impl_->loop.run();
  return std::move(impl_->reloaded);
}

}  // namespace cohortwatch::daemon
