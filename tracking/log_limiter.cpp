#include "tracking/log_limiter.h"

namespace cohortwatch::tracking {

bool LogLimiter::allow(std::string_view key, std::string_view text, long& suppressed,
                       std::chrono::steady_clock::time_point now) {
  auto it = last_.find(key);
  if (it == last_.end()) {
    last_.emplace(std::string(key), Last{std::string(text), now, 0});
    suppressed = 0;
    return true;
  }
  Last& last = it->second;
  if (last.text == text && now - last.at < window_) {
    ++last.suppressed;
    return false;
  }
  suppressed = last.suppressed;
  last = Last{std::string(text), now, 0};
  return true;
}

}  // namespace cohortwatch::tracking
