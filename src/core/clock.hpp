#pragma once
// Time source, injectable so tests run on a manual clock.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace fleet {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, Unix epoch milliseconds.
  virtual std::int64_t now_ms() const noexcept = 0;
  std::int64_t now_s() const noexcept { return now_ms() / 1000; }
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const noexcept override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static const SystemClock& instance() noexcept {
    static const SystemClock clock;
    return clock;
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : ms_(start_ms) {}
  std::int64_t now_ms() const noexcept override { return ms_.load(); }
  void set_ms(std::int64_t ms) noexcept { ms_.store(ms); }
  void advance_ms(std::int64_t d) noexcept { ms_.fetch_add(d); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace fleet
