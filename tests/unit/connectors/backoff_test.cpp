#include "connectors/backoff.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

namespace cohortwatch::connectors {
namespace {

using std::chrono::seconds;

std::vector<seconds> schedule(std::uint64_t seed, int attempts) {
  Backoff backoff(seconds{10}, seconds{3600}, seed);
  std::vector<seconds> delays;
  delays.reserve(static_cast<std::size_t>(attempts));
  for (int i = 0; i < attempts; ++i) delays.push_back(backoff.next());
  return delays;
}

TEST(Backoff, WindowDoublesFromBaseUpToMax) {
  Backoff backoff(seconds{10}, seconds{100}, 1);
  std::vector<seconds> ceilings;
  for (int i = 0; i < 6; ++i) {
    ceilings.push_back(backoff.ceiling());
    backoff.next();
  }
  EXPECT_EQ(ceilings, (std::vector<seconds>{seconds{10}, seconds{20}, seconds{40}, seconds{80},
                                            seconds{100}, seconds{100}}));
  EXPECT_EQ(backoff.failures(), 6);
}

TEST(Backoff, EveryDelayIsWithinItsJitterWindow) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Backoff backoff(seconds{5}, seconds{300}, seed);
    for (int attempt = 0; attempt < 12; ++attempt) {
      const seconds window = backoff.ceiling();
      const seconds delay = backoff.next();
      EXPECT_GE(delay, seconds{1}) << "seed " << seed << " attempt " << attempt;
      EXPECT_LE(delay, window) << "seed " << seed << " attempt " << attempt;
    }
  }
}

TEST(Backoff, JitterSpreadsDelaysOverTheWindow) {
  // Full jitter: a thousand draws from a 1..100 s window cover both halves of it.
  Backoff backoff(seconds{100}, seconds{100}, 42);
  std::set<seconds::rep> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(backoff.next().count());
  EXPECT_LE(*seen.begin(), 10);
  EXPECT_GE(*seen.rbegin(), 90);
  EXPECT_GT(seen.size(), 50U);
}

TEST(Backoff, SameSeedSameSchedule) {
  EXPECT_EQ(schedule(7, 10), schedule(7, 10));
  EXPECT_NE(schedule(7, 10), schedule(8, 10));
}

TEST(Backoff, NeverExceedsMaxAfterManyFailures) {
  Backoff backoff(seconds{1}, seconds{60}, 3);
  for (int i = 0; i < 200; ++i) EXPECT_LE(backoff.next(), seconds{60});
  EXPECT_EQ(backoff.ceiling(), seconds{60});
}

TEST(Backoff, RetryAfterIsAFloor) {
  // The first window is 1..10 s; the server asked for 30 s.
  Backoff backoff(seconds{10}, seconds{3600}, 5);
  EXPECT_EQ(backoff.next(seconds{30}), seconds{30});
  // A Retry-After shorter than the drawn delay does not shorten it.
  Backoff same_seed(seconds{10}, seconds{3600}, 5);
  const seconds drawn = same_seed.next();
  Backoff with_short(seconds{10}, seconds{3600}, 5);
  EXPECT_EQ(with_short.next(seconds{0}), drawn);
}

TEST(Backoff, RetryAfterIsCappedAtMax) {
  Backoff backoff(seconds{10}, seconds{600}, 5);
  EXPECT_EQ(backoff.next(seconds{86400}), seconds{600});
}

TEST(Backoff, ResetStartsAgainFromBase) {
  Backoff backoff(seconds{10}, seconds{3600}, 9);
  for (int i = 0; i < 5; ++i) backoff.next();
  EXPECT_EQ(backoff.ceiling(), seconds{320});
  backoff.reset();
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_EQ(backoff.ceiling(), seconds{10});
  EXPECT_LE(backoff.next(), seconds{10});
  EXPECT_EQ(backoff.failures(), 1);
}

TEST(Backoff, DegenerateSettingsStillWait) {
  Backoff zero(seconds{0}, seconds{0}, 1);
  EXPECT_EQ(zero.next(), seconds{1});  // never a tight retry loop
  Backoff inverted(seconds{30}, seconds{10}, 1);
  EXPECT_EQ(inverted.ceiling(), seconds{30});
  EXPECT_LE(inverted.next(), seconds{30});
}

}  // namespace
}  // namespace cohortwatch::connectors
