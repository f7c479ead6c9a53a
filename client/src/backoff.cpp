#include "fleet/backoff.hpp"

#include <algorithm>
#include <random>

namespace fleet {

Backoff::Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, Random random)
    : min_(std::max(min, std::chrono::milliseconds(1))),
      max_(std::max(max, min_)),
      random_(std::move(random)) {
  if (!random_) {
    random_ = [engine = std::mt19937_64(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
  }
}

std::chrono::milliseconds Backoff::ceiling() const noexcept {
  // Doubling stops once the cap is reached, so no overflow however many attempts were made.
  std::chrono::milliseconds c = min_;
  for (unsigned i = 0; i < attempts_ && c < max_; ++i) c *= 2;
  return std::min(c, max_);
}

std::chrono::milliseconds Backoff::next() {
  const std::chrono::milliseconds hi = ceiling();
  const double r = std::clamp(random_(), 0.0, 1.0);
  const auto span = static_cast<double>((hi - min_).count());
  const auto delay = min_ + std::chrono::milliseconds(static_cast<std::int64_t>(span * r));
  if (attempts_ < 64) ++attempts_;
  return std::min(delay, hi);
}

}  // namespace fleet
