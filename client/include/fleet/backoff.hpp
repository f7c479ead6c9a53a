#pragma once
// Reconnect delays: exponential growth, capped, with full jitter so that many clients dropped by the same
// server restart do not come back in lockstep.
#include <chrono>
#include <cstdint>
#include <functional>

namespace fleet {

class Backoff {
 public:
  // Returns a uniformly distributed value in [0, 1). Injectable so tests are deterministic.
  using Random = std::function<double()>;

  // min > 0 and max >= min are enforced by clamping (min to 1 ms, max up to min).
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, Random random = {});

  // Delay before the next attempt, then counts the attempt. The ceiling is min * 2^attempts capped at max;
  // the delay is uniform in [min, ceiling] ("full jitter" floored at min, so even an unlucky draw never
  // turns a failing server into a tight reconnect loop).
  std::chrono::milliseconds next();

  // Upper bound of the next delay (for logs and tests).
  std::chrono::milliseconds ceiling() const noexcept;

  // After a connection proved healthy (the server said hello).
  void reset() noexcept { attempts_ = 0; }
  unsigned attempts() const noexcept { return attempts_; }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  Random random_;
  unsigned attempts_ = 0;
};

}  // namespace fleet
