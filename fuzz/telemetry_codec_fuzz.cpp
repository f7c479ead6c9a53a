// The ingest body decoder (api/telemetry_codec) on arbitrary bodies. Properties, when a body decodes:
// every point passes validate_point; re-encoding the points as an ingest body decodes to the same points
// (decode . encode . decode == decode); the points survive the server -> client wire (proto/messages
// encode_telemetry, then proto/message_decode) unchanged. When it does not decode: a named error, nothing
// half-returned.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/telemetry_codec.hpp"
#include "core/telemetry_validate.hpp"
#include "fuzz_check.hpp"
#include "json_same.hpp"
#include "proto/json_writer.hpp"
#include "proto/message_decode.hpp"
#include "proto/messages.hpp"

namespace {

constexpr std::int64_t kNowMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z: fixed, so runs reproduce

void number(std::string& out, std::string_view name, double v) {
  out += ",\"";
  out += name;
  out += "\":";
  fleet::proto::append_json_number(out, v);
}

void optional(std::string& out, std::string_view name, const std::optional<double>& v) {
  if (v) number(out, name, *v);
}

// The ingest body a device would send for `points`: ts as epoch ms, attributes as stored.
std::string encode_body(const std::vector<fleet::TelemetryPoint>& points) {
  std::string out = "[";
  for (const auto& p : points) {
    if (out.size() > 1) out += ',';
    out += "{\"ts\":";
    fleet::proto::append_json_number(out, p.ts_ms);
    number(out, "lat", p.lat);
    number(out, "lon", p.lon);
    optional(out, "speed_kph", p.speed_kph);
    optional(out, "heading_deg", p.heading_deg);
    optional(out, "altitude_m", p.altitude_m);
    optional(out, "accuracy_m", p.accuracy_m);
    optional(out, "battery_pct", p.battery_pct);
    if (!p.attributes_json.empty()) out += ",\"attributes\":" + p.attributes_json;
    out += '}';
  }
  out += ']';
  return out;
}

bool same_optional(const std::optional<double>& a, const std::optional<double>& b) {
  return a.has_value() == b.has_value() && (!a || same_double(*a, *b));
}

// Canonical attribute objects: the same text, or numbers an ulp apart.
bool same_attributes(const std::string& a, const std::string& b) {
  if (a == b) return true;
  if (a.empty() || b.empty()) return false;
  return same_value(boost::json::parse(a), boost::json::parse(b));
}

// Equal, numbers within same_double: the points went through text and Boost.JSON's parser.
bool same_point(const fleet::TelemetryPoint& a, const fleet::TelemetryPoint& b) {
  return a.ts_ms == b.ts_ms && same_double(a.lat, b.lat) && same_double(a.lon, b.lon) &&
         same_optional(a.speed_kph, b.speed_kph) && same_optional(a.heading_deg, b.heading_deg) &&
         same_optional(a.altitude_m, b.altitude_m) && same_optional(a.accuracy_m, b.accuracy_m) &&
         same_optional(a.battery_pct, b.battery_pct) && same_attributes(a.attributes_json, b.attributes_json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  fleet::api::IngestLimits limits;
  limits.max_body_bytes = 64 * 1024;
  limits.max_points = 16;     // small, so the fuzzer reaches the limit
  limits.max_attributes = 4;  // likewise
  auto decoded = fleet::api::parse_telemetry_body(body, limits, kNowMs);
  if (!decoded) {
    const auto code = decoded.error().code;
    FUZZ_CHECK(code == fleet::ErrorCode::payload_too_large || code == fleet::ErrorCode::invalid_json ||
               code == fleet::ErrorCode::invalid_field || code == fleet::ErrorCode::invalid_point);
    return 0;
  }
  const std::vector<fleet::TelemetryPoint>& points = *decoded;
  FUZZ_CHECK(!points.empty() && points.size() <= limits.max_points);
  for (const auto& p : points) FUZZ_CHECK(fleet::validate_point(p, kNowMs, limits.validation).has_value());

  // Ingest round trip.
  auto again = fleet::api::parse_telemetry_body(encode_body(points), limits, kNowMs);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->size() == points.size());
  for (std::size_t i = 0; i < points.size(); ++i) FUZZ_CHECK(same_point((*again)[i], points[i]));

  // Wire round trip, as viewers receive the points.
  std::vector<fleet::StoredPoint> stored;
  for (std::size_t i = 0; i < points.size(); ++i) {
    stored.push_back(fleet::StoredPoint{i + 1, fleet::DeviceId("dev_fuzz"), 0, points[i]});
  }
  auto message = fleet::proto::decode_server_message(fleet::proto::encode_telemetry(stored));
  FUZZ_CHECK(message.has_value());
  const auto* telemetry = std::get_if<fleet::proto::TelemetryMessage>(&*message);
  FUZZ_CHECK(telemetry != nullptr);
  FUZZ_CHECK(telemetry->events.size() == stored.size());
  for (std::size_t i = 0; i < stored.size(); ++i) {
    FUZZ_CHECK(telemetry->events[i].seq == stored[i].seq);
    FUZZ_CHECK(telemetry->events[i].device == stored[i].device);
    FUZZ_CHECK(same_point(telemetry->events[i].point, stored[i].point));
  }
  return 0;
}
