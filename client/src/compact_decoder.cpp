#include "fleet/compact_decoder.hpp"

#include <boost/json.hpp>
#include <limits>
#include <optional>
#include <string>

#include "core/strict_json.hpp"
#include "proto/json_values.hpp"

namespace fleet {
namespace {

namespace json = boost::json;

// Event elements, in wire order (docs/protocol.md, "Compact encoding").
enum Element : std::size_t { kOffset, kDt, kIndex, kLatE6, kLonE6, kFirstOptional, kAttributes = 10 };
constexpr std::size_t kMinElements = 5;  // trailing absent fields are left out
constexpr std::size_t kMaxElements = 11;
constexpr std::int64_t kMaxLatE6 = 90'000'000;
constexpr std::int64_t kMaxLonE6 = 180'000'000;

// The optional numbers at elements 5..9, as in the JSON event.
constexpr std::optional<double> TelemetryPoint::*kOptionals[] = {
    &TelemetryPoint::speed_kph,  &TelemetryPoint::heading_deg, &TelemetryPoint::altitude_m,
    &TelemetryPoint::accuracy_m, &TelemetryPoint::battery_pct,
};
constexpr const char* kOptionalNames[] = {"speed_kph", "heading_deg", "altitude_m", "accuracy_m",
                                          "battery_pct"};

Error field_error(std::string_view field, std::string message) {
  Error e = Error::make(ErrorCode::invalid_field, std::move(message));
  e.field = std::string(field);
  return e;
}

Error mistyped(std::string_view field, std::string_view want) {
  return field_error(field, "compact field \"" + std::string(field) + "\" must be " + std::string(want));
}

std::optional<std::uint32_t> as_index(const json::value& v) {
  auto n = proto::json_uint64(v);
  if (!n || *n > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  return static_cast<std::uint32_t>(*n);
}

}  // namespace

CompactDecoder::CompactDecoder() : scratch_(std::make_unique<unsigned char[]>(kScratchBytes)) {}

const DeviceId* CompactDecoder::device(std::uint32_t index) const noexcept {
  auto it = table_.find(index);
  return it == table_.end() ? nullptr : &it->second;
}

Result<CompactDecoder::Kind> CompactDecoder::decode(std::string_view text) {
  // The parsed document lives in scratch_ (and heap blocks past it) until this call returns.
  json::monotonic_resource mr(scratch_.get(), kScratchBytes);
  auto parsed = parse_strict_json(
      text, JsonLimits{.max_depth = 32, .max_bytes = proto::kMaxServerMessageBytes}, json::storage_ptr(&mr));
  if (!parsed || !parsed->is_object()) return Kind::other;
  const json::object& o = parsed->get_object();
  const json::value* type = o.if_contains("type");
  if (!type || !type->is_string()) return Kind::other;
  const json::string& t = type->get_string();
  if (t == "tc") {
    if (auto r = decode_tc(o); !r) return r.error();
    return Kind::telemetry;
  }
  if (t == "devices") {
    const json::value* devices = o.if_contains("devices");
    if (!devices) return field_error("devices", "missing field \"devices\"");
    if (auto r = announce(*devices, "devices"); !r) return r.error();
    return Kind::devices;
  }
  if (t == "snapshot") {
    // Devices carry their index in a compact session; the JSON decoder ignores `i` and checks the rest.
    if (const json::value* devices = o.if_contains("devices"); devices && devices->is_array()) {
      if (auto r = announce(*devices, "snapshot"); !r) return r.error();
    }
  }
  return Kind::other;
}

// `devices` frames ({"i","id"} each) and snapshot devices (where `i` is optional: a JSON session has none).
Result<void> CompactDecoder::announce(const json::value& devices, std::string_view field) {
  const bool snapshot = field == "snapshot";
  if (!devices.is_array()) return mistyped("devices", "an array");
  std::size_t n = 0;
  for (const json::value& dv : devices.get_array()) {
    auto fail = [&](Error e) {
      e.index = n;
      return e;
    };
    if (!dv.is_object()) return fail(mistyped("devices", "an array of objects"));
    const json::object& d = dv.get_object();
    const json::value* i = d.if_contains("i");
    if (!i && snapshot) {
      ++n;
      continue;
    }
    if (!i) return fail(field_error("i", "missing field \"i\""));
    auto index = as_index(*i);
    if (!index) return fail(mistyped("i", "an integer in 0..2^32-1"));
    const json::value* id = d.if_contains("id");
    if (!id || !id->is_string() || id->get_string().empty())
      return fail(mistyped("id", "a non-empty string"));
    // Later announcements overwrite: the server may rename an index on a connection only by announcing it.
    table_.insert_or_assign(*index, DeviceId(std::string(id->get_string())));
    ++n;
  }
  return {};
}

Result<void> CompactDecoder::decode_tc(const json::object& o) {
  frame_.events.clear();  // keeps its capacity: frames of similar size allocate no new vector
  frame_.skipped = 0;
  if (const json::value* skipped = o.if_contains("skipped")) {
    auto n = proto::json_uint64(*skipped);
    if (!n) return mistyped("skipped", "a non-negative integer");
    frame_.skipped = *n;
  }
  const json::value* chunks = o.if_contains("chunks");
  if (!chunks) return field_error("chunks", "missing field \"chunks\"");
  if (!chunks->is_array()) return mistyped("chunks", "an array");

  std::size_t count = 0;
  for (const json::value& cv : chunks->get_array()) {
    if (!cv.is_array()) return mistyped("chunks", "an array of arrays");
    count += cv.get_array().size();
  }
  frame_.events.reserve(count);  // an upper bound: two base elements per chunk are no events

  for (const json::value& cv : chunks->get_array()) {
    const json::array& chunk = cv.get_array();
    if (chunk.size() < 2) return mistyped("chunk", "[seq0, ts0, event...]");
    const auto seq0 = proto::json_uint64(chunk[0]);
    if (!seq0) return mistyped("seq0", "a non-negative integer");
    const auto ts0 = proto::json_int64(chunk[1]);
    if (!ts0) return mistyped("ts0", "an integer");
    for (std::size_t k = 2; k < chunk.size(); ++k) {
      const std::size_t position = frame_.events.size();
      auto fail = [position](Error e) {
        e.index = position;
        return e;
      };
      if (!chunk[k].is_array()) return fail(mistyped("event", "an array"));
      const json::array& ev = chunk[k].get_array();
      if (ev.size() < kMinElements || ev.size() > kMaxElements)
        return fail(mistyped("event", "an array of 5 to 11 elements"));
      const auto offset = proto::json_uint64(ev[kOffset]);
      if (!offset) return fail(mistyped("o", "a non-negative integer"));
      const auto dt = proto::json_int64(ev[kDt]);
      if (!dt) return fail(mistyped("dt", "an integer"));
      const auto index = as_index(ev[kIndex]);
      if (!index) return fail(mistyped("i", "an integer in 0..2^32-1"));
      const auto lat_e6 = proto::json_int64(ev[kLatE6]);
      if (!lat_e6 || *lat_e6 < -kMaxLatE6 || *lat_e6 > kMaxLatE6)
        return fail(mistyped("lat_e6", "an integer in -90e6..90e6"));
      const auto lon_e6 = proto::json_int64(ev[kLonE6]);
      if (!lon_e6 || *lon_e6 < -kMaxLonE6 || *lon_e6 > kMaxLonE6)
        return fail(mistyped("lon_e6", "an integer in -180e6..180e6"));
      Seq seq = 0;
      if (__builtin_add_overflow(*seq0, *offset, &seq)) return fail(mistyped("o", "within the seq range"));
      std::int64_t ts = 0;
      if (__builtin_add_overflow(*ts0, *dt, &ts)) return fail(mistyped("dt", "within the ts range"));
      const DeviceId* device = this->device(*index);
      if (!device)
        return fail(field_error("i", "device index " + std::to_string(*index) + " was not announced"));

      StoredPoint& p = frame_.events.emplace_back();
      p.seq = seq;
      p.device = *device;
      p.point.ts_ms = ts;
      p.point.lat = static_cast<double>(*lat_e6) / 1e6;
      p.point.lon = static_cast<double>(*lon_e6) / 1e6;
      for (std::size_t f = kFirstOptional; f < ev.size() && f < kAttributes; ++f) {
        const json::value& v = ev[f];
        if (v.is_null()) continue;
        auto n = proto::json_number(v);
        if (!n) return fail(mistyped(kOptionalNames[f - kFirstOptional], "null or a finite number"));
        p.point.*kOptionals[f - kFirstOptional] = *n;
      }
      if (ev.size() > kAttributes && !ev[kAttributes].is_null()) {
        if (!ev[kAttributes].is_object()) return fail(mistyped("attributes", "null or an object"));
        proto::append_json_value(p.point.attributes_json, ev[kAttributes]);
      }
    }
  }
  return {};
}

}  // namespace fleet
