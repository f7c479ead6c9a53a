#include "proto/messages.hpp"

#include <cmath>

#include "proto/json_writer.hpp"

namespace fleet::proto {
namespace {

void field(std::string& out, std::string_view name, double v) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_number(out, v);
}

// A compact optional member: its value, or null when absent (trailing nulls are trimmed by the caller).
void compact_optional(std::string& out, const std::optional<double>& v) {
  out += ',';
  if (v) {
    append_json_number(out, *v);
  } else {
    out += "null";
  }
}

// Micro-degrees, the map's precision (docs/protocol.md): |lat|, |lon| <= 180 keeps this far inside int64.
std::int64_t micro_degrees(double deg) noexcept { return std::llround(deg * 1e6); }

// The base-independent part of a compact event: i,lat_e6,lon_e6[,optional...]] (note the closing ']').
void append_compact_rest(std::string& out, const TelemetryPoint& p, std::uint32_t index) {
  append_json_number(out, std::uint64_t{index});
  out += ',';
  append_json_number(out, micro_degrees(p.lat));
  out += ',';
  append_json_number(out, micro_degrees(p.lon));
  const std::optional<double>* optional[] = {&p.speed_kph, &p.heading_deg, &p.altitude_m, &p.accuracy_m,
                                             &p.battery_pct};
  std::size_t present = 0;  // how many optional slots to write: up to the last one the device sent
  for (std::size_t i = 0; i < std::size(optional); ++i) {
    if (optional[i]->has_value()) present = i + 1;
  }
  if (!p.attributes_json.empty()) present = std::size(optional);
  for (std::size_t i = 0; i < present; ++i) compact_optional(out, *optional[i]);
  if (!p.attributes_json.empty()) {
    out += ',';
    out += p.attributes_json;
  }
  out += ']';
}

void append_offsets(std::string& out, Seq seq, Seq seq0, std::int64_t ts, std::int64_t ts0) {
  out += '[';
  append_json_number(out, std::uint64_t{seq - seq0});
  out += ',';
  append_json_number(out, ts - ts0);
  out += ',';
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
  if (h.options) {
    out += R"(,"format":")";
    out += format_name(h.options->format);
    out += R"(","flush_ms":)";
    append_json_number(out, std::uint64_t{h.options->flush_ms});
    out += h.options->coalesce ? R"(,"coalesce":true)" : R"(,"coalesce":false)";
  }
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

namespace {

void append_string_array(std::string& out, std::span<const std::string> items) {
  out += '[';
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (k > 0) out += ',';
    append_json_string(out, items[k]);
  }
  out += ']';
}

}  // namespace

std::string encode_view_change(std::optional<std::uint64_t> view, std::span<const std::string> entered,
                               std::span<const std::string> left) {
  std::string out;
  out.reserve(64 + (entered.size() + left.size()) * 40);
  out += R"({"type":"view_change")";
  if (view) {
    out += R"(,"view":)";
    append_json_number(out, *view);
  }
  out += R"(,"entered":)";
  append_string_array(out, entered);
  out += R"(,"left":)";
  append_string_array(out, left);
  out += '}';
  return out;
}

std::string encode_snapshot(Seq seq, std::span<const Device> devices, std::span<const std::uint32_t> indexes,
                            const SnapshotScope* scope) {
  std::string out;
  out.reserve(64 + devices.size() * 200);
  out += R"({"type":"snapshot","seq":)";
  append_json_number(out, std::uint64_t{seq});
  if (scope != nullptr && scope->view) {
    out += R"(,"view":)";
    append_json_number(out, *scope->view);
  }
  out += R"(,"devices":[)";
  for (std::size_t k = 0; k < devices.size(); ++k) {
    const Device& d = devices[k];
    if (k > 0) out += ',';
    out += R"({"id":)";
    append_json_string(out, d.id.str());
    out += R"(,"name":)";
    append_json_string(out, d.name);
    if (k < indexes.size()) {
      out += R"(,"i":)";
      append_json_number(out, std::uint64_t{indexes[k]});
    }
    out += R"(,"last":)";
    if (d.last) {
      append_event(out, *d.last);
    } else {
      out += "null";
    }
    out += '}';
  }
  out += ']';
  if (scope != nullptr && !scope->unknown.empty()) {
    out += R"(,"unknown":)";
    append_string_array(out, scope->unknown);
  }
  out += '}';
  return out;
}

std::string encode_devices(std::span<const IndexedDevice> devices) {
  std::string out;
  out.reserve(32 + devices.size() * 56);
  out += R"({"type":"devices","devices":[)";
  for (std::size_t k = 0; k < devices.size(); ++k) {
    if (k > 0) out += ',';
    out += R"({"i":)";
    append_json_number(out, std::uint64_t{devices[k].index});
    out += R"(,"id":)";
    append_json_string(out, devices[k].id);
    out += '}';
  }
  out += "]}";
  return out;
}

BatchBuilder::BatchBuilder(TenantId tenant, std::size_t events_hint)
    : batch_(std::make_shared<EncodedBatch>()) {
  batch_->tenant = std::move(tenant);
  batch_->bytes.reserve(events_hint * 180);
  batch_->compact.reserve(events_hint * 48);
  batch_->events.reserve(events_hint);
}

void BatchBuilder::begin_event(Seq seq, std::int64_t ts) {
  if (batch_->events.empty()) {
    seq0_ = seq;
    ts0_ = ts;
  } else {
    batch_->bytes += ',';
    batch_->compact += ',';
  }
}

void BatchBuilder::add(const StoredPoint& p, std::uint32_t index) {
  begin_event(p.seq, p.point.ts_ms);
  EncodedBatch::Event e{p.device, p.seq, p.point.ts_ms, index};
  e.lat = p.point.lat;
  e.lon = p.point.lon;
  e.begin = static_cast<std::uint32_t>(batch_->bytes.size());
  append_event(batch_->bytes, p);
  e.end = static_cast<std::uint32_t>(batch_->bytes.size());
  e.cbegin = static_cast<std::uint32_t>(batch_->compact.size());
  append_offsets(batch_->compact, p.seq, seq0_, p.point.ts_ms, ts0_);
  e.crest = static_cast<std::uint32_t>(batch_->compact.size());
  append_compact_rest(batch_->compact, p.point, index);
  e.cend = static_cast<std::uint32_t>(batch_->compact.size());
  batch_->events.push_back(std::move(e));
}

void BatchBuilder::add(const EncodedBatch& from, std::size_t event) {
  const EncodedBatch::Event& src = from.events[event];
  begin_event(src.seq, src.ts_ms);
  EncodedBatch::Event e{src.device, src.seq, src.ts_ms, src.index};
  e.lat = src.lat;
  e.lon = src.lon;
  e.begin = static_cast<std::uint32_t>(batch_->bytes.size());
  batch_->bytes.append(from.bytes, src.begin, src.end - src.begin);
  e.end = static_cast<std::uint32_t>(batch_->bytes.size());
  e.cbegin = static_cast<std::uint32_t>(batch_->compact.size());
  append_offsets(batch_->compact, src.seq, seq0_, src.ts_ms, ts0_);
  e.crest = static_cast<std::uint32_t>(batch_->compact.size());
  batch_->compact.append(from.compact, src.crest, src.cend - src.crest);
  e.cend = static_cast<std::uint32_t>(batch_->compact.size());
  batch_->events.push_back(std::move(e));
}

std::shared_ptr<const EncodedBatch> BatchBuilder::finish() {
  std::string& head = batch_->compact_head;
  head += '[';
  append_json_number(head, std::uint64_t{seq0_});
  head += ',';
  append_json_number(head, ts0_);
  head += ',';
  return std::move(batch_);
}

std::shared_ptr<const EncodedBatch> encode_batch(TenantId tenant, std::span<const StoredPoint> points,
                                                 DeviceIndex& index) {
  // Indexes first, so the registry's lock is not held while encoding.
  std::vector<std::uint32_t> indexes(points.size());
  {
    auto devices = index.tenant(tenant);
    for (std::size_t k = 0; k < points.size(); ++k) indexes[k] = devices.of(points[k].device);
  }
  BatchBuilder builder(std::move(tenant), points.size());
  for (std::size_t k = 0; k < points.size(); ++k) builder.add(points[k], indexes[k]);
  return builder.finish();
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
