// `cohortwatch produce SCHEDULE`: what a schedule makes (a digest, reminders, a report), now,
// outside its slots: for a meeting brought forward, and for the demo. Its messages are queued in
// the outbox (the next `run --once`, or the running service, sends them); the schedule's own
// slots and the alerts waiting for its digest are left as they were.
#include <algorithm>

#include "daemon/alerting.h"
#include "daemon/commands.h"
#include "tracking/clock.h"

namespace cohortwatch::daemon {

int runProduce(Invocation& invocation) {
  if (invocation.arguments.size() != 1) throw UsageError("name one schedule (under schedules: in the configuration)");
  const tracking::Date as_of = asOfOption(invocation);
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  const std::string name = invocation.arguments.front();
  const auto it = std::find_if(settings->schedules.begin(), settings->schedules.end(),
                               [&](const auto& entry) { return entry.name == name; });
  if (it == settings->schedules.end()) {
    std::string known;
    for (const auto& entry : settings->schedules) known += (known.empty() ? "" : ", ") + entry.name;
    invocation.err << "no schedule named '" << name << "'"
                   << (known.empty() ? std::string(" (none is configured)") : " (configured: " + known + ")")
                   << "\n";
    return kExitFailure;
  }
  auto store = tracking::openSqliteStore(settings->database);
  Alerting alerting(*settings, *store);
  auto entry = *it;
  entry.send_empty = true;  // asked for by hand: even an empty digest says so
  const auto output = alerting.produceNow(entry, as_of);
  invocation.out << "schedule " << name << ": " << output.queued
                 << " message(s) queued; `cohortwatch run --once` (or the running service) sends them\n";
  return kExitOk;
}

}  // namespace cohortwatch::daemon
