#pragma once
// Latency histogram with HDR-style log-linear buckets: exact below 64, then 64 linear sub-buckets per
// power of two (relative error under 1.6%). Values are microseconds. One thread records; any thread may
// take a snapshot, and snapshots subtract, so a long-running recorder can report per-phase percentiles.
#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include <boost/json/object.hpp>

namespace loadgen {

inline constexpr int kSubBucketBits = 6;
inline constexpr int kSubBuckets = 1 << kSubBucketBits;  // 64
inline constexpr int kMaxExponent = 34;                  // values up to ~2^40 us
inline constexpr std::size_t kBucketCount = kSubBuckets + kMaxExponent * kSubBuckets;

std::size_t bucket_index(std::uint64_t value) noexcept;
// Highest value that falls into bucket `index` (percentiles report the conservative end).
std::uint64_t bucket_upper(std::size_t index) noexcept;

class HistogramSnapshot {
 public:
  HistogramSnapshot() : counts_(kBucketCount, 0) {}

  void add(std::uint64_t value, std::uint64_t n = 1) noexcept { counts_[bucket_index(value)] += n; }
  void merge(const HistogramSnapshot& other);
  // this - earlier, bucket by bucket (earlier must be an older snapshot of the same recorder(s)).
  HistogramSnapshot since(const HistogramSnapshot& earlier) const;

  std::uint64_t count() const noexcept;
  // Value at quantile q in [0, 1]; 0 when empty.
  std::uint64_t quantile(double q) const noexcept;
  std::uint64_t max() const noexcept;

  // {"count","p50_us","p90_us","p99_us","p999_us","max_us"}
  boost::json::object summary() const;

  std::vector<std::uint64_t>& counts() noexcept { return counts_; }
  const std::vector<std::uint64_t>& counts() const noexcept { return counts_; }

 private:
  std::vector<std::uint64_t> counts_;
};

class LatencyRecorder {
 public:
  void record(std::uint64_t value_us) noexcept {
    auto& b = buckets_[bucket_index(value_us)];
    b.store(b.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void snapshot_into(HistogramSnapshot& out) const;  // adds this recorder's counts to `out`

 private:
  std::array<std::atomic<std::uint64_t>, kBucketCount> buckets_{};
};

}  // namespace loadgen
