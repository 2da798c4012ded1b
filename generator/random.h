// A small, fast pseudo-random generator (xoshiro256**, seeded through splitmix64) with its own
// uniform, Bernoulli, weighted and exponential helpers. Everything is integer arithmetic, so a
// seed gives byte-identical synthetic data on every compiler, standard library and platform.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

namespace cohortwatch::generator {

// Probabilities are written as parts per million so that no floating point enters a decision.
inline constexpr std::uint32_t kMillion = 1'000'000;

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& word : state_) word = splitMix64(x);
  }

  // splitmix64 step: also handy for deriving independent seeds from one seed.
  static std::uint64_t splitMix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::uint64_t next() {
    const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

  std::uint32_t next32() { return static_cast<std::uint32_t>(next() >> 32); }

  // Uniform in [0, n), n > 0, without bias (Lemire's multiply-and-reject).
  std::uint32_t below(std::uint32_t n) {
    std::uint64_t m = std::uint64_t{next32()} * n;
    auto low = static_cast<std::uint32_t>(m);
    if (low < n) {
      const std::uint32_t threshold = (0u - n) % n;
      while (low < threshold) {
        m = std::uint64_t{next32()} * n;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<std::uint32_t>(m >> 32);
  }

  // Uniform in [lo, hi], both inclusive; lo <= hi.
  int between(int lo, int hi) {
    const auto span = static_cast<std::uint32_t>(static_cast<std::int64_t>(hi) - lo + 1);
    return static_cast<int>(static_cast<std::int64_t>(lo) + below(span));
  }

  // True with probability ppm / 1,000,000.
  bool chance(std::uint32_t ppm) { return below(kMillion) < ppm; }

  // True with probability threshold / 2^53 (see thresholdFor53Bits).
  bool chance53(std::uint64_t threshold) { return (next() >> 11) < threshold; }

  // Index i with probability weights[i] / sum(weights); the sum must be positive.
  std::size_t pick(std::span<const std::uint32_t> weights) {
    std::uint32_t total = 0;
    for (const auto w : weights) total += w;
    std::uint32_t r = below(total);
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }

  // Exponentially distributed whole units (floor) with the given mean, in integer arithmetic:
  // X = h * (K + F) with h = mean * ln 2, K ~ Geometric(1/2) from the leading zeros of a random
  // word, and F in [0, 1) with density proportional to 2^-F, sampled by four bisection steps
  // (exact halving probabilities) and a uniform remainder.
  int exponential(int mean) {
    // P(first half) = 1 / (1 + 2^-(2^-j)), j = 1..4, scaled to 2^32.
    static constexpr std::array<std::uint32_t, 4> kFirstHalf = {2515933592u, 2333084719u,
                                                                2240458131u, 2193992694u};
    const std::uint64_t word = next();
    const auto k = static_cast<std::uint64_t>(std::countl_zero(word));
    std::uint64_t fraction = 0;  // Q16
    for (std::size_t j = 0; j < kFirstHalf.size(); ++j) {
      if (next32() >= kFirstHalf[j]) fraction |= std::uint64_t{1} << (15 - j);
    }
    fraction |= next32() >> 20;
    constexpr std::uint64_t kLn2Q16 = 45426;  // ln 2 * 65536
    const std::uint64_t halfLifeQ16 = static_cast<std::uint64_t>(mean) * kLn2Q16;
    return static_cast<int>((halfLifeQ16 * ((k << 16) + fraction)) >> 32);
  }

 private:
  std::array<std::uint64_t, 4> state_{};
};

// Threshold for Rng::chance53 from a probability in [0, 1]: multiplying by 2^53 is exact in IEEE
// double, so the threshold is the same everywhere.
inline std::uint64_t thresholdFor53Bits(double probability) {
  if (!(probability > 0.0)) return 0;
  if (probability >= 1.0) return std::uint64_t{1} << 53;
  return static_cast<std::uint64_t>(probability * 9007199254740992.0);
}

}  // namespace cohortwatch::generator
