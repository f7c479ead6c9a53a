#pragma once
// Telemetry values shared by every layer. Plain data, no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"

namespace fleet {

// One position report as accepted from a device, already validated (see telemetry_validate.hpp).
struct TelemetryPoint {
  std::int64_t ts_ms = 0;  // device time, Unix epoch milliseconds
  double lat = 0;
  double lon = 0;
  std::optional<double> speed_kph;
  std::optional<double> heading_deg;
  std::optional<double> altitude_m;
  std::optional<double> accuracy_m;
  std::optional<double> battery_pct;
  // Validated flat JSON object in canonical form ("{...}"), or empty when absent. Kept as text because
  // it is only ever stored and forwarded, never interpreted by the server.
  std::string attributes_json;

  friend bool operator==(const TelemetryPoint&, const TelemetryPoint&) = default;
};

// A point after it is durably stored: it has a per-tenant seq and belongs to a device.
struct StoredPoint {
  Seq seq = 0;
  DeviceId device;
  std::int64_t received_ms = 0;  // server time at ingest
  TelemetryPoint point;
};

struct Device {
  DeviceId id;
  TenantId tenant;
  std::string name;
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> revoked_ms;
  std::optional<StoredPoint> last;  // last known position, if any
};

}  // namespace fleet
