#include "api/telemetry_codec.hpp"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/strict_json.hpp"
#include "core/time_format.hpp"
#include "proto/json_writer.hpp"

namespace fleet::api {
namespace {

namespace json = boost::json;

// Array > point > attributes is depth 3; a little headroom lets nested attribute values reach the
// attributes check (and its precise error) instead of failing as generic invalid JSON.
constexpr std::size_t kMaxDepth = 8;

Error point_error(std::size_t index, std::string field, std::string message) {
  return Error{ErrorCode::invalid_point, std::move(message), index, std::move(field)};
}

std::optional<double> as_number(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64: return static_cast<double>(v.get_int64());
    case json::kind::uint64: return static_cast<double>(v.get_uint64());
    case json::kind::double_: return v.get_double();
    default: return std::nullopt;
  }
}

void append_number(std::string& out, const json::value& v) {
  char buf[32];
  std::to_chars_result r{};
  switch (v.kind()) {
    case json::kind::int64: r = std::to_chars(buf, buf + sizeof buf, v.get_int64()); break;
    case json::kind::uint64: r = std::to_chars(buf, buf + sizeof buf, v.get_uint64()); break;
    default: r = std::to_chars(buf, buf + sizeof buf, v.get_double()); break;
  }
  out.append(buf, r.ptr);
}

class PointDecoder {
 public:
  PointDecoder(const IngestLimits& limits, std::int64_t now_ms, std::size_t index)
      : limits_(limits), now_ms_(now_ms), index_(index) {}

  Result<TelemetryPoint> decode(const json::value& v) {
    const json::object* obj = v.if_object();
    if (obj == nullptr) return point_error(index_, "", "point must be a JSON object");
    TelemetryPoint p;
    bool have_ts = false, have_lat = false, have_lon = false;
    for (const auto& member : *obj) {
      const std::string_view key(member.key().data(), member.key().size());
      const json::value& val = member.value();
      Result<void> r;
      if (key == "ts") {
        r = decode_ts(val, p.ts_ms);
        have_ts = true;
      } else if (key == "lat") {
        r = required_number("lat", val, p.lat);
        have_lat = true;
      } else if (key == "lon") {
        r = required_number("lon", val, p.lon);
        have_lon = true;
      } else if (key == "speed_kph") {
        r = optional_number("speed_kph", val, p.speed_kph);
      } else if (key == "heading_deg") {
        r = optional_number("heading_deg", val, p.heading_deg);
      } else if (key == "altitude_m") {
        r = optional_number("altitude_m", val, p.altitude_m);
      } else if (key == "accuracy_m") {
        r = optional_number("accuracy_m", val, p.accuracy_m);
      } else if (key == "battery_pct") {
        r = optional_number("battery_pct", val, p.battery_pct);
      } else if (key == "attributes") {
        r = decode_attributes(val, p.attributes_json);
      } else {
        // The key came from strict JSON but may still be arbitrary bytes: cap what is echoed back.
        return point_error(index_, std::string(key.substr(0, 64)), "unknown member");
      }
      if (!r) return r.error();
    }
    if (!have_ts) return point_error(index_, "ts", "ts is required");
    if (!have_lat) return point_error(index_, "lat", "lat is required");
    if (!have_lon) return point_error(index_, "lon", "lon is required");
    auto valid = validate_point(p, now_ms_, limits_.validation);
    if (!valid) {
      Error e = valid.error();
      e.index = index_;
      return e;
    }
    return p;
  }

 private:
  Result<void> decode_ts(const json::value& v, std::int64_t& out) const {
    if (const json::string* s = v.if_string()) {
      auto ms = parse_rfc3339_ms(std::string_view(s->data(), s->size()));
      if (!ms) return point_error(index_, "ts", ms.error().message);
      out = *ms;
      return {};
    }
    if (v.is_int64()) {
      out = v.get_int64();
      return {};
    }
    return point_error(index_, "ts", "ts must be an RFC 3339 string or integer epoch milliseconds");
  }

  Result<void> required_number(const char* field, const json::value& v, double& out) const {
    auto n = as_number(v);
    if (!n) return point_error(index_, field, std::string(field) + " must be a number");
    if (!std::isfinite(*n)) return point_error(index_, field, std::string(field) + " must be finite");
    out = *n;
    return {};
  }

  Result<void> optional_number(const char* field, const json::value& v, std::optional<double>& out) {
    if (v.is_null()) {
      out.reset();
      return {};
    }
    double d = 0;
    auto r = required_number(field, v, d);
    if (!r) return r;
    out = d;
    return {};
  }

  Result<void> decode_attributes(const json::value& v, std::string& out) const {
    out.clear();
    if (v.is_null()) return {};
    const json::object* obj = v.if_object();
    if (obj == nullptr) return point_error(index_, "attributes", "attributes must be an object");
    if (obj->size() > limits_.max_attributes) {
      return point_error(index_, "attributes",
                         "too many attributes (max " + std::to_string(limits_.max_attributes) + ")");
    }
    if (obj->empty()) return {};
    // Sorted by key bytes so equal attribute sets always serialise to the same text. The usual handful
    // of members is sorted in a stack array; only a raised max_attributes needs the heap.
    std::array<const json::key_value_pair*, 32> small{};
    std::vector<const json::key_value_pair*> large;
    std::span<const json::key_value_pair*> members;
    if (obj->size() <= small.size()) {
      members = std::span(small.data(), obj->size());
    } else {
      large.resize(obj->size());
      members = large;
    }
    std::size_t n = 0;
    for (const auto& m : *obj) members[n++] = &m;
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out.reserve(16 * members.size());
    out += '{';
    for (const json::key_value_pair* m : members) {
      if (m->key().size() > limits_.max_attribute_key_bytes) {
        return point_error(
            index_, "attributes",
            "attribute key longer than " + std::to_string(limits_.max_attribute_key_bytes) + " bytes");
      }
      if (out.size() > 1) out += ',';
      proto::append_json_string(out, std::string_view(m->key().data(), m->key().size()));
      out += ':';
      const json::value& val = m->value();
      switch (val.kind()) {
        case json::kind::string:
          if (val.get_string().size() > limits_.max_attribute_string_bytes) {
            return point_error(index_, "attributes",
                               "attribute string longer than " +
                                   std::to_string(limits_.max_attribute_string_bytes) + " bytes");
          }
          proto::append_json_string(out, std::string_view(val.get_string().data(), val.get_string().size()));
          break;
        case json::kind::bool_: out += val.get_bool() ? "true" : "false"; break;
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_:
          if (val.is_double() && !std::isfinite(val.get_double())) {
            return point_error(index_, "attributes", "attribute numbers must be finite");
          }
          append_number(out, val);
          break;
        default:
          out.clear();
          return point_error(
              index_, "attributes",
              "attribute values must be strings, numbers or booleans (no null, object or array)");
      }
    }
    out += '}';
    return {};
  }

  const IngestLimits& limits_;
  std::int64_t now_ms_;
  std::size_t index_;
};

}  // namespace

Result<std::vector<TelemetryPoint>> parse_telemetry_body(std::string_view body, const IngestLimits& limits,
                                                         std::int64_t now_ms) {
  if (body.size() > limits.max_body_bytes) {
    return make_error(ErrorCode::payload_too_large,
                      "body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  // The document lives only until the points are extracted: build it in one arena that grows in a few
  // blocks and is released at once, instead of one heap allocation and free per node and key.
  json::monotonic_resource arena(std::max<std::size_t>(1024, body.size() * 4));
  auto parsed =
      parse_strict_json(body, JsonLimits{kMaxDepth, limits.max_body_bytes}, json::storage_ptr(&arena));
  if (!parsed) return parsed.error();
  const json::value& root = *parsed;

  std::vector<TelemetryPoint> points;
  if (const json::array* arr = root.if_array()) {
    if (arr->empty()) {
      return Error{ErrorCode::invalid_field, "the batch must contain at least one point", std::nullopt,
                   "points"};
    }
    if (arr->size() > limits.max_points) {
      return make_error(ErrorCode::payload_too_large,
                        "too many points (max " + std::to_string(limits.max_points) + ")");
    }
    points.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
      auto p = PointDecoder(limits, now_ms, i).decode((*arr)[i]);
      if (!p) return p.error();
      points.push_back(std::move(*p));
    }
    return points;
  }
  auto p = PointDecoder(limits, now_ms, 0).decode(root);
  if (!p) return p.error();
  points.push_back(std::move(*p));
  return points;
}

}  // namespace fleet::api
