#pragma once
// Decoding of the ingest request body (POST /v1/telemetry) into validated telemetry points.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/telemetry.hpp"
#include "core/telemetry_validate.hpp"

namespace fleet::api {

struct IngestLimits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_points = 1000;
  std::size_t max_attributes = 32;
  std::size_t max_attribute_key_bytes = 64;
  std::size_t max_attribute_string_bytes = 256;
  ValidationOptions validation;
};

// Parses a body that is one point object or a JSON array of 1..max_points point objects.
//
// A point has "ts" (RFC 3339 string or integer epoch ms), "lat", "lon" (numbers) and optionally
// "speed_kph", "heading_deg", "altitude_m", "accuracy_m", "battery_pct" (numbers; null = absent) and
// "attributes": a flat object of at most max_attributes string/number/bool members, re-serialised with
// members sorted by key into TelemetryPoint::attributes_json (an empty or null object leaves it empty).
// Any other member is refused. Every point is then checked by validate_point against now_ms.
//
// All or nothing. Errors:
//   payload_too_large  body over max_body_bytes (checked before parsing) or more than max_points points
//   invalid_json       not strict JSON (syntax, duplicate member, nesting deeper than 8)
//   invalid_field      empty array (field "points")
//   invalid_point      anything wrong with a point: `index` is its position (0 for a single object) and
//                      `field` the offending member ("" when the point itself is not an object)
Result<std::vector<TelemetryPoint>> parse_telemetry_body(std::string_view body, const IngestLimits& limits,
                                                         std::int64_t now_ms);

}  // namespace fleet::api
