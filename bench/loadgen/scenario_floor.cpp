// Scenario 0: the machine's loopback floor (loopback_floor.hpp). No server: run.sh runs it once per run,
// before the servers, so every results document carries the bound its fan-out figures live under.
#include <cstdint>
#include <stdexcept>

#include "loopback_floor.hpp"
#include "scenarios.hpp"

namespace loadgen {

boost::json::object run_floor(const Options& options) {
  FloorSettings s;
  s.pairs = static_cast<int>(options.integer("pairs", s.pairs));
  const std::int64_t frame_bytes = options.integer("frame-bytes", static_cast<std::int64_t>(s.frame_bytes));
  if (frame_bytes < 1) throw std::invalid_argument("floor needs --frame-bytes >= 1");
  s.frame_bytes = static_cast<std::size_t>(frame_bytes);
  s.events_per_frame = static_cast<int>(options.integer("events-per-frame", s.events_per_frame));
  s.seconds = options.number("seconds", s.seconds);

  progress("floor: %d loopback pairs, %zu-byte frames, sending for %.1f s", s.pairs, s.frame_bytes,
           s.seconds);
  boost::json::object result = measure_floor(s);
  const boost::json::value* failure = result.if_contains("failure");
  progress(
      "floor: %.0f frames/s = %.0f deliveries/s equivalent; CPU per frame: sender %.2f us, receiver %.2f "
      "us%s%s",
      result.at("frames_per_s").as_double(), result.at("deliveries_per_s_equivalent").as_double(),
      result.at("sender_cpu_us_per_frame").as_double(), result.at("receiver_cpu_us_per_frame").as_double(),
      failure ? "; FAIL: " : "", failure ? failure->as_string().c_str() : "");
  return result;
}

}  // namespace loadgen
