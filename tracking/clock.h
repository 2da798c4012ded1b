// Where "today" comes from. Injected so that follow-up periods, as-of defaults and schedules are
// tested without waiting; SystemClock reads the machine's local calendar date.
#pragma once

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

}  // namespace cohortwatch::tracking
