// The parts of connectors/http_fetcher.h the service itself uses (the fetch runs in
// cohortwatch-worker: worker/remote.h): the outcome's name and the cursor's text form.
#include "connectors/http_fetcher.h"
#include "tracking/clock.h"

namespace cohortwatch::connectors {

using std::chrono::system_clock;

std::string_view toString(FetchOutcome outcome) {
  switch (outcome) {
    case FetchOutcome::kNewData: return "new data";
    case FetchOutcome::kNotModified: return "not modified";
    case FetchOutcome::kRetryable: return "retryable failure";
    case FetchOutcome::kPermanent: return "permanent failure";
  }
  return "unknown";
}

std::string formatCursor(system_clock::time_point time) { return tracking::formatUtc(time); }

std::optional<system_clock::time_point> parseCursor(std::string_view text) {
  return tracking::parseUtc(text);
}

}  // namespace cohortwatch::connectors
