#pragma once
// The acceptance rules for one telemetry point, applied after decoding and before storing.
#include <cstdint>

#include "core/result.hpp"
#include "core/telemetry.hpp"

namespace fleet {

struct ValidationOptions {
  // Device clocks drift; beyond this a timestamp is a bug, and would pin "last position" in the future.
  std::int64_t max_future_ms = 10 * 60 * 1000;
  // 2000-01-01T00:00:00Z: anything older is an unset device clock, not history.
  std::int64_t min_ts_ms = 946'684'800'000;
};

// Checks every field: all numbers finite; lat in [-90, 90]; lon in [-180, 180]; heading_deg in [0, 360);
// speed_kph in [0, 2000]; accuracy_m >= 0; battery_pct in [0, 100]; altitude_m in [-1000, 100000];
// min_ts_ms <= ts_ms <= now_ms + max_future_ms. Absent optionals are fine.
// On failure: ErrorCode::invalid_point with `field` set to the offending member name and `index` unset
// (the caller knows the point's position in its batch). attributes_json is not inspected here.
Result<void> validate_point(const TelemetryPoint& p, std::int64_t now_ms, const ValidationOptions& opts = {});

}  // namespace fleet
