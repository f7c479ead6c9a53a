#include "proto/messages.hpp"

#include "proto/json_writer.hpp"

namespace fleet::proto {
namespace {

void field(std::string& out, std::string_view name, double v) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_number(out, v);
}

}  // namespace

std::string encode_hello(const Hello& h) {
  std::string out;
  out.reserve(256);
  out += R"({"type":"hello","protocol":)";
  append_json_number(out, std::int64_t{kProtocolVersion});
  out += R"(,"tenant":)";
  append_json_string(out, h.tenant);
  out += R"(,"user":)";
  append_json_string(out, h.user);
  out += R"(,"role":)";
  append_json_string(out, h.role);
  out += R"(,"token_exp":)";
  append_json_number(out, h.token_exp);
  out += R"(,"server":)";
  append_json_string(out, h.server);
  out += R"(,"seq":)";
  append_json_number(out, std::uint64_t{h.seq});
  out += R"(,"epoch":)";
  append_json_string(out, h.epoch);
  out += R"(,"token_grace_s":)";
  append_json_number(out, h.token_grace_s);
  if (h.recovered) out += *h.recovered ? R"(,"recovered":true)" : R"(,"recovered":false)";
  out += '}';
  return out;
}

std::string encode_auth_ok(std::int64_t token_exp) {
  std::string out = R"({"type":"auth_ok","token_exp":)";
  append_json_number(out, token_exp);
  out += '}';
  return out;
}

void append_event(std::string& out, const StoredPoint& sp) {
  const TelemetryPoint& p = sp.point;
  out += R"({"seq":)";
  append_json_number(out, std::uint64_t{sp.seq});
  out += R"(,"device":)";
  append_json_string(out, sp.device.str());
  out += R"(,"ts":)";
  append_json_number(out, p.ts_ms);
  field(out, "lat", p.lat);
  field(out, "lon", p.lon);
  if (p.speed_kph) field(out, "speed_kph", *p.speed_kph);
  if (p.heading_deg) field(out, "heading_deg", *p.heading_deg);
  if (p.altitude_m) field(out, "altitude_m", *p.altitude_m);
  if (p.accuracy_m) field(out, "accuracy_m", *p.accuracy_m);
  if (p.battery_pct) field(out, "battery_pct", *p.battery_pct);
  if (!p.attributes_json.empty()) {
    out += R"(,"attributes":)";
    out += p.attributes_json;
  }
  out += '}';
}

std::string encode_snapshot(Seq seq, std::span<const Device> devices) {
  std::string out;
  out.reserve(64 + devices.size() * 200);
  out += R"({"type":"snapshot","seq":)";
  append_json_number(out, std::uint64_t{seq});
  out += R"(,"devices":[)";
  bool first = true;
  for (const Device& d : devices) {
    if (!first) out += ',';
    first = false;
    out += R"({"id":)";
    append_json_string(out, d.id.str());
    out += R"(,"name":)";
    append_json_string(out, d.name);
    out += R"(,"last":)";
    if (d.last) {
      append_event(out, *d.last);
    } else {
      out += "null";
    }
    out += '}';
  }
  out += "]}";
  return out;
}

std::shared_ptr<const EncodedBatch> encode_batch(TenantId tenant, std::span<const StoredPoint> points) {
  auto batch = std::make_shared<EncodedBatch>();
  batch->tenant = std::move(tenant);
  batch->bytes.reserve(points.size() * 180);
  batch->events.reserve(points.size());
  for (const StoredPoint& p : points) {
    if (!batch->bytes.empty()) batch->bytes += ',';
    const auto begin = static_cast<std::uint32_t>(batch->bytes.size());
    append_event(batch->bytes, p);
    batch->events.push_back({p.device, p.seq, begin, static_cast<std::uint32_t>(batch->bytes.size())});
  }
  return batch;
}

std::string encode_telemetry(std::span<const StoredPoint> points) {
  std::string out(kTelemetryHead);
  bool first = true;
  for (const StoredPoint& p : points) {
    if (!first) out += ',';
    first = false;
    append_event(out, p);
  }
  out += kTelemetryTail;
  return out;
}

}  // namespace fleet::proto
