#include "core/telemetry_validate.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <string>

namespace fleet {
namespace {

Error invalid(const char* field, std::string message) {
  return Error{ErrorCode::invalid_point, std::move(message), std::nullopt, field};
}

// Shortest round-trip form: "-90", not std::to_string's "-90.000000".
std::string num(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

enum class Upper { inclusive, exclusive };

// NaN compares false with everything, so the explicit isfinite check comes first for a clear message.
std::optional<Error> check_range(const char* field, double v, double lo, double hi, Upper upper) {
  if (!std::isfinite(v)) return invalid(field, std::string(field) + " must be a finite number");
  const bool above = upper == Upper::inclusive ? v > hi : v >= hi;
  if (v < lo || above) {
    return invalid(field, std::string(field) + " out of range [" + num(lo) + ", " + num(hi) +
                              (upper == Upper::inclusive ? "]" : ")"));
  }
  return std::nullopt;
}

std::optional<Error> check_optional(const char* field, const std::optional<double>& v, double lo, double hi,
                                    Upper upper = Upper::inclusive) {
  if (!v) return std::nullopt;
  return check_range(field, *v, lo, hi, upper);
}

}  // namespace

Result<void> validate_point(const TelemetryPoint& p, std::int64_t now_ms, const ValidationOptions& opts) {
  if (p.ts_ms < opts.min_ts_ms) return invalid("ts", "ts is before the earliest accepted time");
  if (p.ts_ms > now_ms + opts.max_future_ms) return invalid("ts", "ts is too far in the future");

  constexpr double kInf = HUGE_VAL;
  for (auto err : {check_range("lat", p.lat, -90, 90, Upper::inclusive),
                   check_range("lon", p.lon, -180, 180, Upper::inclusive),
                   check_optional("speed_kph", p.speed_kph, 0, 2000),
                   check_optional("heading_deg", p.heading_deg, 0, 360, Upper::exclusive),
                   check_optional("altitude_m", p.altitude_m, -1000, 100'000),
                   check_optional("accuracy_m", p.accuracy_m, 0, kInf),
                   check_optional("battery_pct", p.battery_pct, 0, 100)}) {
    if (err) return *err;
  }
  return {};
}

}  // namespace fleet
