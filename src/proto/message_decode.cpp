#include "proto/message_decode.hpp"

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/strict_json.hpp"
#include "proto/json_values.hpp"

namespace fleet::proto {
namespace {

namespace json = boost::json;

Error field_error(std::string_view field, std::string message) {
  Error e = Error::make(ErrorCode::invalid_field, std::move(message));
  e.field = std::string(field);
  return e;
}

Error missing(std::string_view field) {
  return field_error(field, "missing field \"" + std::string(field) + "\"");
}
Error mistyped(std::string_view field, std::string_view want) {
  return field_error(field, "field \"" + std::string(field) + "\" must be " + std::string(want));
}

Result<std::string> get_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return missing(key);
  if (!v->is_string()) return mistyped(key, "a string");
  return std::string(v->get_string());
}

Result<std::int64_t> get_int64(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return missing(key);
  auto n = json_int64(*v);
  if (!n) return mistyped(key, "an integer");
  return *n;
}

Result<Seq> get_seq(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return missing(key);
  auto n = json_uint64(*v);
  if (!n) return mistyped(key, "a non-negative integer");
  return *n;
}

Result<double> get_double(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return missing(key);
  auto n = json_number(*v);
  if (!n) return mistyped(key, "a finite number");
  return *n;
}

// Absent -> nullopt; present but not a number -> error (a null is treated as absent).
Result<std::optional<double>> get_optional_double(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<double>{};
  auto n = json_number(*v);
  if (!n) return mistyped(key, "a finite number");
  return std::optional<double>(*n);
}

// Protocol 2 members: absent -> nullopt (a protocol 1 server), present -> must be of the right type. Unlike
// the optional event fields, null is not "absent" here: no server sends it, and a null `recovered` would
// leave the client guessing whether a snapshot follows.
Result<std::optional<std::string>> get_optional_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string()) return mistyped(key, "a string");
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::optional<std::uint64_t>> get_optional_count(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::optional<std::uint64_t>{};
  auto n = json_uint64(*v);
  if (!n) return mistyped(key, "a non-negative integer");
  return std::optional<std::uint64_t>(*n);
}

Result<std::optional<bool>> get_optional_bool(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::optional<bool>{};
  if (!v->is_bool()) return mistyped(key, "a boolean");
  return std::optional<bool>(v->get_bool());
}

Result<Hello> decode_hello(const json::object& o) {
  Hello h;
  auto protocol = get_int64(o, "protocol");
  if (!protocol) return protocol.error();
  auto tenant = get_string(o, "tenant");
  if (!tenant) return tenant.error();
  auto user = get_string(o, "user");
  if (!user) return user.error();
  auto role = get_string(o, "role");
  if (!role) return role.error();
  auto exp = get_int64(o, "token_exp");
  if (!exp) return exp.error();
  auto server = get_string(o, "server");
  if (!server) return server.error();
  auto seq = get_seq(o, "seq");
  if (!seq) return seq.error();
  auto epoch = get_optional_string(o, "epoch");
  if (!epoch) return epoch.error();
  auto grace = get_optional_count(o, "token_grace_s");
  if (!grace) return grace.error();
  if (grace->value_or(0) > static_cast<std::uint64_t>(INT64_MAX))
    return mistyped("token_grace_s", "an int64");
  auto recovered = get_optional_bool(o, "recovered");
  if (!recovered) return recovered.error();
  h.tenant = std::move(*tenant);
  h.user = std::move(*user);
  h.role = std::move(*role);
  h.token_exp = *exp;
  h.server = std::move(*server);
  h.seq = *seq;
  h.epoch = epoch->value_or("");
  h.token_grace_s = static_cast<std::int64_t>(grace->value_or(0));
  h.recovered = *recovered;
  return h;
}

// An array of strings; absent -> empty.
Result<std::vector<std::string>> get_optional_strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (!v) return out;
  if (!v->is_array()) return mistyped(key, "an array of strings");
  out.reserve(v->get_array().size());
  for (const json::value& s : v->get_array()) {
    if (!s.is_string()) return mistyped(key, "an array of strings");
    out.emplace_back(s.get_string());
  }
  return out;
}

Result<SnapshotMessage> decode_snapshot(const json::object& o) {
  SnapshotMessage s;
  auto seq = get_seq(o, "seq");
  if (!seq) return seq.error();
  s.seq = *seq;
  auto view = get_optional_count(o, "view");
  if (!view) return view.error();
  s.view = *view;
  auto unknown = get_optional_strings(o, "unknown");
  if (!unknown) return unknown.error();
  s.unknown = std::move(*unknown);
  const json::value* devices = o.if_contains("devices");
  if (!devices) return missing("devices");
  if (!devices->is_array()) return mistyped("devices", "an array");
  s.devices.reserve(devices->get_array().size());
  std::size_t index = 0;
  for (const json::value& dv : devices->get_array()) {
    auto fail = [&](Error e) {
      e.index = index;
      return e;
    };
    if (!dv.is_object()) return fail(mistyped("devices", "an array of objects"));
    const json::object& d = dv.get_object();
    Device dev;
    auto id = get_string(d, "id");
    if (!id) return fail(id.error());
    auto name = get_string(d, "name");
    if (!name) return fail(name.error());
    dev.id = DeviceId(std::move(*id));
    dev.name = std::move(*name);
    const json::value* last = d.if_contains("last");
    if (last && !last->is_null()) {
      auto p = decode_event(*last);
      if (!p) return fail(p.error());
      dev.last = std::move(*p);
    }
    s.devices.push_back(std::move(dev));
    ++index;
  }
  return s;
}

Result<TelemetryMessage> decode_telemetry(const json::object& o) {
  TelemetryMessage t;
  auto skipped = get_optional_count(o, "skipped");
  if (!skipped) return skipped.error();
  t.skipped = skipped->value_or(0);
  const json::value* events = o.if_contains("events");
  if (!events) return missing("events");
  if (!events->is_array()) return mistyped("events", "an array");
  t.events.reserve(events->get_array().size());
  std::size_t index = 0;
  for (const json::value& ev : events->get_array()) {
    auto p = decode_event(ev);
    if (!p) {
      Error e = p.error();
      e.index = index;
      return e;
    }
    t.events.push_back(std::move(*p));
    ++index;
  }
  return t;
}

Result<ViewChangeMessage> decode_view_change(const json::object& o) {
  ViewChangeMessage m;
  auto view = get_seq(o, "view");
  if (!view) return view.error();
  m.view = *view;
  for (auto [key, out] :
       {std::pair{std::string_view("entered"), &m.entered}, std::pair{std::string_view("left"), &m.left}}) {
    auto ids = get_optional_strings(o, key);
    if (!ids) return ids.error();
    out->reserve(ids->size());
    for (std::string& id : *ids) out->emplace_back(std::move(id));
  }
  return m;
}

Result<AuthOkMessage> decode_auth_ok(const json::object& o) {
  auto exp = get_int64(o, "token_exp");
  if (!exp) return exp.error();
  return AuthOkMessage{*exp};
}

}  // namespace

Result<StoredPoint> decode_event(const json::value& v) {
  if (!v.is_object()) return field_error("event", "an event must be a JSON object");
  const json::object& o = v.get_object();
  StoredPoint sp;
  auto seq = get_seq(o, "seq");
  if (!seq) return seq.error();
  auto device = get_string(o, "device");
  if (!device) return device.error();
  auto ts = get_int64(o, "ts");
  if (!ts) return ts.error();
  auto lat = get_double(o, "lat");
  if (!lat) return lat.error();
  auto lon = get_double(o, "lon");
  if (!lon) return lon.error();
  sp.seq = *seq;
  sp.device = DeviceId(std::move(*device));
  sp.point.ts_ms = *ts;
  sp.point.lat = *lat;
  sp.point.lon = *lon;

  struct Optional {
    std::string_view key;
    std::optional<double> TelemetryPoint::*member;
  };
  static constexpr Optional optionals[] = {
      {"speed_kph", &TelemetryPoint::speed_kph},     {"heading_deg", &TelemetryPoint::heading_deg},
      {"altitude_m", &TelemetryPoint::altitude_m},   {"accuracy_m", &TelemetryPoint::accuracy_m},
      {"battery_pct", &TelemetryPoint::battery_pct},
  };
  for (const Optional& opt : optionals) {
    auto value = get_optional_double(o, opt.key);
    if (!value) return value.error();
    sp.point.*opt.member = *value;
  }

  if (const json::value* attrs = o.if_contains("attributes"); attrs && !attrs->is_null()) {
    if (!attrs->is_object()) return mistyped("attributes", "an object");
    // Kept as compact JSON text, the same canonical form the server stores and forwards.
    append_json_value(sp.point.attributes_json, *attrs);
  }
  return sp;
}

Result<ServerMessage> decode_server_message(std::string_view text) {
  auto parsed = parse_strict_json(text, JsonLimits{.max_depth = 32, .max_bytes = kMaxServerMessageBytes});
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) return make_error(ErrorCode::invalid_json, "message must be a JSON object");
  const json::object& o = parsed->get_object();
  auto type = get_string(o, "type");
  if (!type) return type.error();

  auto wrap = [](auto r) -> Result<ServerMessage> {
    if (!r) return r.error();
    return ServerMessage(std::move(*r));
  };
  if (*type == "telemetry") return wrap(decode_telemetry(o));
  if (*type == "snapshot") return wrap(decode_snapshot(o));
  if (*type == "hello") return wrap(decode_hello(o));
  if (*type == "auth_ok") return wrap(decode_auth_ok(o));
  if (*type == "pong") return ServerMessage(PongMessage{});
  if (*type == "view_change") return wrap(decode_view_change(o));
  return field_error("type", "unknown message type \"" + *type + "\"");
}

}  // namespace fleet::proto
