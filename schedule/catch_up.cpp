#include "schedule/catch_up.h"

#include <algorithm>

namespace cohortwatch::schedule {

CatchUpDecision decideCatchUp(const CronExpression& expression, const date::time_zone* zone,
                              std::optional<std::chrono::sys_seconds> last_fired,
                              std::chrono::sys_seconds now, std::chrono::seconds catch_up) {
  CatchUpDecision decision;
  const std::chrono::sys_seconds wait_after = last_fired ? std::max(now, *last_fired) : now;
  decision.next = nextSlot(expression, zone, wait_after);
  if (!last_fired) return decision;

  // Walk back from now through the missed slots: a bounded number of steps however long the
  // service was down (a per-minute schedule down for a month would otherwise list 43,200).
  std::optional<std::chrono::sys_seconds> slot = previousSlot(expression, zone, now);
  if (!slot || *slot <= *last_fired) return decision;
  if (now - *slot <= std::max(catch_up, std::chrono::seconds{0})) {
    decision.fire_now = *slot;
    slot = previousSlot(expression, zone, *slot - std::chrono::seconds{1});
  }
  while (slot && *slot > *last_fired) {
    if (decision.skipped.size() == kMaxListedSkips) {
      decision.more_skipped = true;
      break;
    }
    decision.skipped.push_back(*slot);
    slot = previousSlot(expression, zone, *slot - std::chrono::seconds{1});
  }
  std::reverse(decision.skipped.begin(), decision.skipped.end());
  return decision;
}

}  // namespace cohortwatch::schedule
