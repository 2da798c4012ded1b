#include "connectors/backoff.h"

#include <algorithm>
#include <limits>

namespace cohortwatch::connectors {

Backoff::Backoff(std::chrono::seconds base, std::chrono::seconds max, std::uint64_t seed)
    : base_(std::max(base, std::chrono::seconds{1})), max_(std::max(max, base_)), state_(seed) {}

std::chrono::seconds Backoff::ceiling() const {
  // Doubling saturates at max_ (checked before multiplying, so no overflow however many failures).
  std::chrono::seconds ceiling = base_;
  for (int i = 0; i < failures_ && ceiling < max_; ++i) {
    ceiling = ceiling > max_ / 2 ? max_ : ceiling * 2;
  }
  return std::min(ceiling, max_);
}

std::chrono::seconds Backoff::next(std::optional<std::chrono::seconds> retry_after) {
  const auto window = static_cast<std::uint64_t>(ceiling().count());  // >= 1
  if (failures_ < std::numeric_limits<int>::max()) ++failures_;
  // Uniform in [1, window] without modulo bias: reject the incomplete last block of the range.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              std::numeric_limits<std::uint64_t>::max() % window;
  std::uint64_t draw = nextRandom();
  while (draw >= limit) draw = nextRandom();
  std::chrono::seconds delay{static_cast<std::chrono::seconds::rep>(1 + draw % window)};
  if (retry_after) delay = std::max(delay, *retry_after);
  return std::min(delay, max_);
}

void Backoff::reset() {
  failures_ = 0;
}

std::uint64_t Backoff::nextRandom() {
  // splitmix64: tiny, well distributed, and identical on every platform for a given seed.
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

}  // namespace cohortwatch::connectors
