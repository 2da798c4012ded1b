// Exponential backoff with full jitter for sources that retry a failed pull (an HTTP source whose
// server answered 503, or could not be reached). Pure and deterministic for a seed, so the retry
// schedule is unit-tested without sleeping; the caller owns the clock and the waiting.
//
// Contract: the n-th consecutive failure (n = 1, 2, ...) waits a whole number of seconds drawn
// uniformly from [1, min(max, base * 2^(n-1))] ("full jitter": spreading retries of many sources
// over the whole window rather than synchronising them), but never less than the server's
// Retry-After; the result never exceeds max, even when Retry-After asks for longer.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace cohortwatch::connectors {

class Backoff {
 public:
  // A base under one second counts as one second, and a max under base as base.
  Backoff(std::chrono::seconds base, std::chrono::seconds max, std::uint64_t seed);

  // Records one more failure and returns how long to wait before the next attempt.
  std::chrono::seconds next(std::optional<std::chrono::seconds> retry_after = std::nullopt);

  // After a success: the next failure starts again from base.
  void reset();

  // Consecutive failures since construction or the last reset().
  int failures() const { return failures_; }

  // The upper bound of the jitter window for the next call to next(), for logs and tests.
  std::chrono::seconds ceiling() const;

 private:
  std::uint64_t nextRandom();

  std::chrono::seconds base_;
  std::chrono::seconds max_;
  std::uint64_t state_;
  int failures_ = 0;
};

}  // namespace cohortwatch::connectors
