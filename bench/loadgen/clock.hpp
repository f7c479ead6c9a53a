#pragma once
// Time stamps for latency measurement. Publisher and viewers live in one process, so a monotonic clock
// read on both ends measures publish -> deliver without clock skew.
#include <chrono>
#include <cstdint>
#include <ctime>

namespace loadgen {

// Microseconds on CLOCK_MONOTONIC. Small enough to travel in a JSON number exactly.
inline std::int64_t mono_us() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

inline std::int64_t mono_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Wall-clock Unix epoch milliseconds (the `ts` of a telemetry point).
inline std::int64_t wall_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace loadgen
