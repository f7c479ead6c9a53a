#pragma once
// A count that worker threads add to and the main thread waits on, with a deadline: how the main thread
// learns that a phase is over without polling. Every add() notifies; the adds here are per connection
// or per phase, never per message, so the lock costs nothing measurable.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace loadgen {

class Tally {
 public:
  void add(std::int64_t n = 1) {
    {
      std::lock_guard lock(mu_);
      value_ += n;
    }
    cv_.notify_all();
  }

  std::int64_t get() const {
    std::lock_guard lock(mu_);
    return value_;
  }

  // True once the count is at least `target`; false if the deadline passed first.
  bool wait_at_least(std::int64_t target, std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return value_ >= target; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::int64_t value_ = 0;
};

}  // namespace loadgen
