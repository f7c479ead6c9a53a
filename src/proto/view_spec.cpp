#include "proto/view_spec.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <unordered_set>

#include "proto/json_values.hpp"

namespace fleet::proto {
namespace {

std::optional<GeoBox> json_box(const boost::json::value& v) {
  if (!v.is_array() || v.get_array().size() != 4) return std::nullopt;
  double c[4];
  for (std::size_t i = 0; i < 4; ++i) {
    const auto n = json_number(v.get_array()[i]);
    if (!n) return std::nullopt;
    c[i] = *n;
  }
  const GeoBox b{c[0], c[1], c[2], c[3]};
  const auto lon_ok = [](double x) { return x >= -180 && x <= 180; };
  const auto lat_ok = [](double y) { return y >= -90 && y <= 90; };
  if (!lon_ok(b.west) || !lon_ok(b.east) || !lat_ok(b.south) || !lat_ok(b.north) || b.south > b.north)
    return std::nullopt;
  return b;
}

// An array of at most `limit` distinct strings each passing `valid`.
template <class Valid>
std::optional<std::vector<std::string>> json_ids(const boost::json::value& v, std::size_t limit,
                                                 Valid valid) {
  if (!v.is_array() || v.get_array().size() > limit) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(v.get_array().size());
  for (const auto& e : v.get_array()) {
    if (!e.is_string() || !valid(std::string_view(e.get_string()))) return std::nullopt;
    out.emplace_back(e.get_string());
  }
  std::unordered_set<std::string_view> seen(out.begin(), out.end());
  if (seen.size() != out.size()) return std::nullopt;
  return out;
}

}  // namespace

bool is_group_id(std::string_view id) noexcept {
  if (id.size() != 36 || id.substr(0, 4) != "grp_") return false;
  return std::all_of(id.begin() + 4, id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<ViewSpec> decode_view(const boost::json::object& o) {
  ViewSpec spec;
  for (const auto& member : o) {
    const std::string_view k = member.key();
    const boost::json::value& v = member.value();
    if (k == "type") continue;
    if (k == "id") {
      const auto id = json_uint64(v);
      if (!id || *id > kMaxViewId) return std::nullopt;
      spec.id = *id;
    } else if (k == "boxes") {
      if (!v.is_array() || v.get_array().size() > kMaxViewBoxes) return std::nullopt;
      for (const auto& b : v.get_array()) {
        const auto box = json_box(b);
        if (!box) return std::nullopt;
        spec.boxes.push_back(*box);
      }
    } else if (k == "groups") {
      auto ids = json_ids(v, kMaxViewGroups, is_group_id);
      if (!ids) return std::nullopt;
      spec.groups = std::move(*ids);
    } else if (k == "devices") {
      auto ids = json_ids(v, kMaxViewDevices, is_device_id);
      if (!ids) return std::nullopt;
      for (auto& id : *ids) spec.devices.emplace_back(std::move(id));
    } else if (k == "min_interval_ms") {
      const auto ms = json_uint64(v);
      if (!ms || (*ms != 0 && (*ms < kMinViewIntervalMs || *ms > kMaxViewIntervalMs))) return std::nullopt;
      spec.min_interval_ms = static_cast<std::uint32_t>(*ms);
    } else {
      return std::nullopt;  // strict: a misspelt member must not silently widen the view
    }
  }
  return spec;
}

}  // namespace fleet::proto
