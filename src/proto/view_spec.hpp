#pragma once
// A session's view as the client asked for it (docs/protocol.md, "Views: scope the stream"): boxes,
// groups, named devices, a minimum interval per device. Checked strictly here: whatever the server builds
// from a ViewSpec (hub/view_filter.hpp) can trust its ranges and sizes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"

namespace boost::json {
class object;
}

namespace fleet::proto {

// Degrees, WGS 84. west > east: the box crosses the antimeridian.
struct GeoBox {
  double west = 0;
  double south = 0;
  double east = 0;
  double north = 0;
  friend bool operator==(const GeoBox&, const GeoBox&) = default;
};

struct ViewSpec {
  std::optional<std::uint64_t> id;  // echoed by the snapshot that answers the view
  std::vector<GeoBox> boxes;
  std::vector<std::string> groups;  // "grp_" + 32 hex
  std::vector<DeviceId> devices;    // always in view, never coalesced
  std::uint32_t min_interval_ms = 0;

  // Neither boxes, groups nor devices: the whole tenant.
  bool whole_tenant() const noexcept { return boxes.empty() && groups.empty() && devices.empty(); }
};

inline constexpr std::size_t kMaxViewBoxes = 16;
inline constexpr std::size_t kMaxViewGroups = 16;
// 256 ids (about 10 KB of JSON) fit the 16 KiB message limit with room for boxes and groups.
inline constexpr std::size_t kMaxViewDevices = 256;
inline constexpr std::uint32_t kMinViewIntervalMs = 100;
inline constexpr std::uint32_t kMaxViewIntervalMs = 10'000;
inline constexpr std::uint64_t kMaxViewId = (std::uint64_t{1} << 53) - 1;

// Whether `id` has the group-id form ("grp_" + 32 lowercase hex digits).
bool is_group_id(std::string_view id) noexcept;

// A `view` message's members (the object with "type":"view"); nullopt for any member that is unknown,
// of the wrong type, out of range or over its limit, or a duplicate id.
std::optional<ViewSpec> decode_view(const boost::json::object& o);

}  // namespace fleet::proto
