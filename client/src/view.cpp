#include "fleet/view.hpp"

#include <string_view>
#include <unordered_set>

#include "core/ids.hpp"
#include "proto/json_writer.hpp"

namespace fleet {
namespace {

std::string num(double v) {
  std::string s = std::to_string(v);
  // std::to_string writes six decimals: trim the zeros an error message does not need.
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    const bool dot = s.back() == '.';
    s.pop_back();
    if (dot) break;
  }
  return s;
}

std::string_view as_view(const std::string& s) noexcept { return s; }
std::string_view as_view(const DeviceId& id) noexcept { return id.str(); }

template <class Ids, class Valid>
std::string check_ids(const Ids& ids, std::size_t limit, const char* what, Valid valid) {
  if (ids.size() > limit) {
    return std::string("at most ") + std::to_string(limit) + " " + what + " ids, got " +
           std::to_string(ids.size());
  }
  std::unordered_set<std::string_view> seen;
  for (const auto& id : ids) {
    const std::string_view s = as_view(id);
    if (!valid(s)) return std::string("not a ") + what + " id: \"" + std::string(s) + "\"";
    if (!seen.insert(s).second) return std::string("duplicate ") + what + " id: " + std::string(s);
  }
  return {};
}

}  // namespace

std::string validate(const View& v) {
  if (v.boxes.size() > proto::kMaxViewBoxes) {
    return "at most " + std::to_string(proto::kMaxViewBoxes) + " boxes, got " +
           std::to_string(v.boxes.size());
  }
  for (std::size_t i = 0; i < v.boxes.size(); ++i) {
    const GeoBox& b = v.boxes[i];
    const std::string at = "box " + std::to_string(i + 1) + ": ";
    for (const auto& [name, lon] : {std::pair{"west", b.west}, std::pair{"east", b.east}}) {
      // Written so that NaN fails too.
      if (!(lon >= -180 && lon <= 180)) return at + name + " " + num(lon) + " is not in -180..180";
    }
    for (const auto& [name, lat] : {std::pair{"south", b.south}, std::pair{"north", b.north}}) {
      if (!(lat >= -90 && lat <= 90)) return at + name + " " + num(lat) + " is not in -90..90";
    }
    if (b.south > b.north) return at + "south " + num(b.south) + " is above north " + num(b.north);
  }
  if (auto bad = check_ids(v.groups, proto::kMaxViewGroups, "group", proto::is_group_id); !bad.empty())
    return bad;
  if (auto bad = check_ids(v.devices, proto::kMaxViewDevices, "device",
                           [](std::string_view id) { return is_device_id(id); });
      !bad.empty()) {
    return bad;
  }
  if (v.min_interval_ms != 0 &&
      (v.min_interval_ms < proto::kMinViewIntervalMs || v.min_interval_ms > proto::kMaxViewIntervalMs)) {
    return "min_interval_ms must be 0 or " + std::to_string(proto::kMinViewIntervalMs) + ".." +
           std::to_string(proto::kMaxViewIntervalMs) + ", got " + std::to_string(v.min_interval_ms);
  }
  return {};
}

std::string encode_view(const View& v, std::uint64_t id, bool as_message) {
  std::string out;
  out.reserve(48 + v.boxes.size() * 64 + (v.groups.size() + v.devices.size()) * 40);
  out += as_message ? R"({"type":"view","id":)" : R"({"id":)";
  proto::append_json_number(out, id);
  if (!v.boxes.empty()) {
    out += R"(,"boxes":[)";
    for (std::size_t i = 0; i < v.boxes.size(); ++i) {
      const GeoBox& b = v.boxes[i];
      out += i ? ",[" : "[";
      proto::append_json_number(out, b.west);
      out += ',';
      proto::append_json_number(out, b.south);
      out += ',';
      proto::append_json_number(out, b.east);
      out += ',';
      proto::append_json_number(out, b.north);
      out += ']';
    }
    out += ']';
  }
  if (!v.groups.empty()) {
    out += R"(,"groups":[)";
    for (std::size_t i = 0; i < v.groups.size(); ++i) {
      if (i) out += ',';
      proto::append_json_string(out, v.groups[i]);
    }
    out += ']';
  }
  if (!v.devices.empty()) {
    out += R"(,"devices":[)";
    for (std::size_t i = 0; i < v.devices.size(); ++i) {
      if (i) out += ',';
      proto::append_json_string(out, v.devices[i].str());
    }
    out += ']';
  }
  if (v.min_interval_ms != 0) {
    out += R"(,"min_interval_ms":)";
    proto::append_json_number(out, std::uint64_t{v.min_interval_ms});
  }
  out += '}';
  return out;
}

}  // namespace fleet
