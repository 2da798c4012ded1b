// What a schedule does when the service starts: the restart decision, pure (the instants come in
// as arguments, so it is tested with an injected clock). A restart neither sends a slot twice nor
// skips one silently: the slot that fired last is stored, and slots missed while the service was
// down are either caught up (the latest, once) or reported as skipped for the log.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "schedule/cron.h"
#include "schedule/schedule_clock.h"
#include "schedule/schedule_settings.h"

namespace cohortwatch::schedule {

struct CatchUpDecision {
  // The slot to send now, late: the latest slot after last_fired and at or before `now`, when
  // now - slot <= catch_up. Store it as the last fired slot once sent.
  std::optional<std::chrono::sys_seconds> fire_now;
  // Missed slots that will never be sent, oldest first, for the log line: every missed slot but
  // the one in fire_now. At most kMaxListedSkips are listed (the most recent ones);
  // more_skipped says that older ones were missed too.
  std::vector<std::chrono::sys_seconds> skipped;
  bool more_skipped = false;
  // The first slot after `now` (and after last_fired) to wait for; nullopt when the expression
  // can never fire, which validateSchedule() rejects beforehand.
  std::optional<std::chrono::sys_seconds> next;
};

inline constexpr std::size_t kMaxListedSkips = 100;

// The decision at start-up at instant `now`.
//  - No last_fired (the schedule has never fired: first start, or a new schedule): nothing is
//    caught up and nothing is reported skipped; the schedule starts with the next slot after now.
//    (Sending a digest for a slot from before the schedule existed would be a surprise.)
//  - A slot equal to `now` is due, and fires now (it is zero seconds late).
//  - A slot at or before last_fired never fires again, also when last_fired lies after `now`
//    (the clock was set back): then nothing is due and `next` comes after last_fired.
//  - A negative catch_up counts as zero: only a slot at exactly `now` fires.
CatchUpDecision decideCatchUp(const CronExpression& expression, const date::time_zone* zone,
                              std::optional<std::chrono::sys_seconds> last_fired,
                              std::chrono::sys_seconds now,
                              std::chrono::seconds catch_up = kDefaultCatchUp);

}  // namespace cohortwatch::schedule
