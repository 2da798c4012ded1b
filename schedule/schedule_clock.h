// When a cron expression fires in an IANA time zone: the slots (instants) of an expression, found
// on the local wall clock and mapped to UTC across daylight-saving changes. Pure functions: the
// only thing read is the OS time-zone database (/usr/share/zoneinfo) through Howard Hinnant's date
// library, the reference implementation of C++20's <chrono> time zones that GCC 12 lacks.
//
// DST semantics. A slot is a local wall time L that the expression matches; it fires at the FIRST
// instant at which the zone's wall clock shows L or later. Hence:
//  - L does not exist (clocks go forward: 01:30 on 30 March 2025 in Europe/London): it fires once,
//    at the instant the gap ends (01:00 UTC, when the clock jumps from 01:00 GMT to 02:00 BST).
//    Like Vixie cron's fixed-time jobs, the job is late rather than skipped.
//  - L occurs twice (clocks go back: 01:30 on 26 October 2025 in Europe/London): it fires once,
//    at the first occurrence (00:30 UTC, 01:30 BST), never at the second.
//  - Several slots that land on the same instant fire once: `*/15 * * * *` fires at 01:00 UTC on
//    30 March 2025 for 01:00, 01:15, 01:30, 01:45 GMT (none exist) and 02:00 BST together.
//  - Repeating jobs fire once per distinct wall time: `*/15 * * * *` on 26 October 2025 fires at
//    01:00, 01:15, 01:30, 01:45 BST and then not again until 02:00 GMT (the repeated hour 01:00-
//    01:59 GMT is not fired again), a 75-minute gap in UTC. (Vixie cron would fire wildcard jobs in
//    the repeated hour again; digests and reminders must not be sent twice.)
// The slots are thus strictly increasing instants, and each slot is identified by its instant.
//
// The time-zone rules come from the OS database, which (as Debian builds it) lists transitions up
// to 2037; later instants use the last known offset.
#pragma once

#include <date/tz.h>

#include <chrono>
#include <optional>
#include <string_view>

#include "schedule/cron.h"

namespace cohortwatch::schedule {

// The first slot strictly after `after`; nullopt when the expression can never fire
// (`0 0 30 2 *`) — checked up front, and the search is capped at 400 years of local days, one
// whole Gregorian cycle, after which nothing new can match. `zone` must not be null.
std::optional<std::chrono::sys_seconds> nextSlot(const CronExpression& expression,
                                                 const date::time_zone* zone,
                                                 std::chrono::sys_seconds after);

// The last slot at or before `at` (the mirror of nextSlot), nullopt as above.
std::optional<std::chrono::sys_seconds> previousSlot(const CronExpression& expression,
                                                     const date::time_zone* zone,
                                                     std::chrono::sys_seconds at);

// The zone of an IANA name ("Europe/London"), or nullptr when the database has no such zone (or
// cannot be read). Zones live as long as the process; the pointer may be kept.
const date::time_zone* findZone(std::string_view name);

}  // namespace cohortwatch::schedule
