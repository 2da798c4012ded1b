// Repeated log lines: the first is logged, identical ones within the window are counted, a
// different line or the end of the window logs again with the count held back.
#include "tracking/log_limiter.h"

#include <gtest/gtest.h>

namespace cohortwatch::tracking {
namespace {

TEST(LogLimiter, LogsChangesAndRemindsAfterTheWindowWithTheCountHeldBack) {
  LogLimiter limiter(std::chrono::minutes(10));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  long suppressed = -1;
  EXPECT_TRUE(limiter.allow("smtp", "connection refused", suppressed, t0));
  EXPECT_EQ(suppressed, 0);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_FALSE(limiter.allow("smtp", "connection refused", suppressed, t0 + std::chrono::minutes(i)));
  }
  // Another key is independent.
  EXPECT_TRUE(limiter.allow("chat", "connection refused", suppressed, t0));
  // The window has passed: logged again, with the five held back.
  EXPECT_TRUE(limiter.allow("smtp", "connection refused", suppressed, t0 + std::chrono::minutes(10)));
  EXPECT_EQ(suppressed, 5);
  EXPECT_FALSE(limiter.allow("smtp", "connection refused", suppressed, t0 + std::chrono::minutes(11)));
  // A different failure is news at once.
  EXPECT_TRUE(limiter.allow("smtp", "535 authentication failed", suppressed, t0 + std::chrono::minutes(12)));
  EXPECT_EQ(suppressed, 1);
}

}  // namespace
}  // namespace cohortwatch::tracking
