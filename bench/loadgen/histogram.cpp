#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace loadgen {

std::size_t bucket_index(std::uint64_t value) noexcept {
  if (value < kSubBuckets) return static_cast<std::size_t>(value);
  // value >> exponent lands in [64, 128): the top 7 significant bits select the linear sub-bucket.
  int exponent = std::bit_width(value) - (kSubBucketBits + 1);
  if (exponent >= kMaxExponent) return kBucketCount - 1;
  auto mantissa = static_cast<std::size_t>(value >> exponent) - kSubBuckets;
  return kSubBuckets + static_cast<std::size_t>(exponent) * kSubBuckets + mantissa;
}

std::uint64_t bucket_upper(std::size_t index) noexcept {
  if (index < kSubBuckets) return index;
  std::size_t exponent = (index - kSubBuckets) / kSubBuckets;
  std::uint64_t mantissa = kSubBuckets + (index - kSubBuckets) % kSubBuckets;
  return ((mantissa + 1) << exponent) - 1;
}

void HistogramSnapshot::merge(const HistogramSnapshot& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
}

HistogramSnapshot HistogramSnapshot::since(const HistogramSnapshot& earlier) const {
  HistogramSnapshot out;
  for (std::size_t i = 0; i < kBucketCount; ++i) out.counts_[i] = counts_[i] - earlier.counts_[i];
  return out;
}

std::uint64_t HistogramSnapshot::count() const noexcept {
  std::uint64_t n = 0;
  for (auto c : counts_) n += c;
  return n;
}

std::uint64_t HistogramSnapshot::quantile(double q) const noexcept {
  std::uint64_t total = count();
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(total)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return bucket_upper(i);
  }
  return bucket_upper(kBucketCount - 1);
}

std::uint64_t HistogramSnapshot::max() const noexcept {
  for (std::size_t i = kBucketCount; i-- > 0;) {
    if (counts_[i] != 0) return bucket_upper(i);
  }
  return 0;
}

boost::json::object HistogramSnapshot::summary() const {
  return {{"count", count()},         {"p50_us", quantile(0.50)},   {"p90_us", quantile(0.90)},
          {"p99_us", quantile(0.99)}, {"p999_us", quantile(0.999)}, {"max_us", max()}};
}

void LatencyRecorder::snapshot_into(HistogramSnapshot& out) const {
  auto& counts = out.counts();
  for (std::size_t i = 0; i < kBucketCount; ++i) counts[i] += buckets_[i].load(std::memory_order_relaxed);
}

}  // namespace loadgen
