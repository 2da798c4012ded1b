// The generator's random helpers: fixed sequences for a seed (the basis of byte-identical output on
// every platform), ranges respected, and distributions with the intended means and shares.
#include "generator/random.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace cohortwatch::generator {
namespace {

TEST(RngTest, SameSeedSameSequenceAndPinnedValues) {
  Rng a(42);
  Rng b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next(), b.next());
  // Pinned so that a change of algorithm (and with it every generated file) is noticed.
  Rng pinned(1);
  EXPECT_EQ(pinned.next(), 0xB3F2AF6D0FC710C5ULL);
  EXPECT_EQ(pinned.next(), 0x853B559647364CEAULL);
  EXPECT_EQ(pinned.next(), 0x92F89756082A4514ULL);
}

TEST(RngTest, DifferentSeedsDiffer) {
  Rng a(1);
  Rng b(2);
  int same = 0;
  for (int i = 0; i < 100; ++i) same += a.next() == b.next() ? 1 : 0;
  EXPECT_EQ(same, 0);
}

TEST(RngTest, BelowAndBetweenStayInRangeAndCoverIt) {
  Rng rng(7);
  std::array<int, 7> seen{};
  for (int i = 0; i < 10'000; ++i) {
    const auto value = rng.below(7);
    ASSERT_LT(value, 7u);
    ++seen[value];
    const int x = rng.between(-3, 3);
    ASSERT_GE(x, -3);
    ASSERT_LE(x, 3);
  }
  for (const int count : seen) EXPECT_NEAR(count, 10'000.0 / 7, 150);
  EXPECT_EQ(rng.between(5, 5), 5);
}

TEST(RngTest, ChanceAndPickFollowTheirWeights) {
  Rng rng(11);
  int hits = 0;
  for (int i = 0; i < 100'000; ++i) hits += rng.chance(250'000) ? 1 : 0;
  EXPECT_NEAR(hits, 25'000, 600);

  const std::array<std::uint32_t, 3> weights = {1, 0, 3};
  std::array<int, 3> picked{};
  for (int i = 0; i < 40'000; ++i) ++picked[rng.pick(weights)];
  EXPECT_EQ(picked[1], 0);
  EXPECT_NEAR(picked[0], 10'000, 400);

  EXPECT_FALSE(Rng(3).chance53(thresholdFor53Bits(0.0)));
  EXPECT_TRUE(Rng(3).chance53(thresholdFor53Bits(1.0)));
}

TEST(RngTest, ExponentialHasTheRequestedMeanAndTail) {
  Rng rng(5);
  constexpr int kSamples = 200'000;
  double sum = 0;
  int beyondFourMeans = 0;
  for (int i = 0; i < kSamples; ++i) {
    const int x = rng.exponential(91);
    ASSERT_GE(x, 0);
    sum += x;
    beyondFourMeans += x > 4 * 91 ? 1 : 0;
  }
  // Whole days (floored), so the mean is about 90.5.
  EXPECT_NEAR(sum / kSamples, 90.5, 1.5);
  // P(X > 4 means) = e^-4, about 1.8%.
  EXPECT_NEAR(static_cast<double>(beyondFourMeans) / kSamples, 0.0183, 0.002);
}

}  // namespace
}  // namespace cohortwatch::generator
