// Where "today" comes from. Injected so that follow-up periods, as-of defaults and schedules are
// tested without waiting; SystemClock reads the machine's local calendar date.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "tracking/civil_date.h"

namespace cohortwatch::tracking {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Date today() const = 0;
};

class SystemClock final : public Clock {
 public:
  // Clock
  Date today() const override;
};

// Instants as stored and exchanged: ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" (seconds truncated), which
// orders as text; parseUtc() accepts exactly that form and nullopt otherwise.
std::string formatUtc(std::chrono::system_clock::time_point time);
std::optional<std::chrono::system_clock::time_point> parseUtc(std::string_view text);

}  // namespace cohortwatch::tracking
