// The long-running service behind `cohortwatch run`: one Boost.Asio event loop for timers,
// inotify, signals and the admin HTTP server, and lanes (daemon/lane.h) on a small worker pool for
// everything that blocks: one lane per source, one for the cycle (cohorts, rules, schedules), one
// for the outbox. What happens:
//  - each source runs on its timer (its poll or request interval, or its backoff), a directory
//    source also when inotify reports a change;
//  - after a source took something, the cycle runs (coalesced: one more run at most while one is
//    running): cohorts recomputed, rules evaluated on the new change events and the calendar;
//  - the outbox is dispatched after each cycle, when a retry falls due, and at least every minute;
//  - schedules (digests, reminders, reports) fire at their cron slots in their time zone;
//  - SIGTERM/SIGINT: no new work starts, the jobs running finish (their transactions commit),
//    exit 0; SIGHUP: the configuration is read and checked again: if it is valid the service
//    restarts its parts on it, otherwise it logs why and carries on with the old one.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "config/settings.h"
#include "tracking/clock.h"

namespace cohortwatch::daemon {

class Service {
 public:
  // Loads and checks the configuration again (for SIGHUP); nullopt, after logging every error,
  // when it is not valid.
  using Reload = std::function<std::optional<config::Settings>()>;

  Service(const config::Settings& settings, const tracking::Clock& clock, Reload reload);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Runs until SIGTERM or SIGINT (returns nullopt) or a SIGHUP with a valid configuration
  // (returns it: the caller runs a new Service on it).
  std::optional<config::Settings> run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohortwatch::daemon
