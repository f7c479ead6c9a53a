#pragma once
// Which of a tenant's events a scoped session receives (docs/protocol.md, "Views: scope the stream"): the
// exact test, run on the worker for each event the hub's cells route to the session. Devices are named by
// their dense per-tenant index (proto::DeviceIndex), so membership is a bit test, never a string compare.
#include <cstdint>
#include <span>
#include <vector>

#include "proto/view_spec.hpp"

namespace fleet::hub {

// A box that does not cross the antimeridian (west <= east), degrees.
struct LonLatBox {
  double west = 0;
  double south = 0;
  double east = 0;
  double north = 0;
  bool contains(double lat, double lon) const noexcept {
    return lat >= south && lat <= north && lon >= west && lon <= east;
  }
};

// Splits boxes that cross the antimeridian (west > east) in two.
std::vector<LonLatBox> split_boxes(std::span<const proto::GeoBox> boxes);

class ViewFilter {
 public:
  // The whole tenant.
  ViewFilter() = default;

  // `boxes` and `groups` given (has_groups with `group_members` their devices, possibly none) define the
  // area; `named` devices are in view wherever they are. `allowed` (a share's devices) bounds everything:
  // a device outside it is never in view. With no boxes, no groups and no named devices the filter is the
  // whole tenant, or exactly `allowed` when that is set.
  ViewFilter(std::span<const proto::GeoBox> boxes, bool has_groups,
             std::span<const std::uint32_t> group_members, std::span<const std::uint32_t> named,
             std::span<const std::uint32_t> allowed, bool restricted);

  bool whole_tenant() const noexcept { return !scoped_; }
  bool matches(std::uint32_t index, double lat, double lon) const noexcept;
  // Named devices are never coalesced (a followed vehicle's every position arrives).
  bool named(std::uint32_t index) const noexcept { return test(named_, index); }
  // The bitmap behind named(), for the outbox's coalescing.
  const std::vector<bool>& named_bits() const noexcept { return named_; }
  std::span<const std::uint32_t> named_list() const noexcept { return named_list_; }

  // For the hub's routing: the boxes (none: the area is not spatial), and whether an area exists at all.
  std::span<const LonLatBox> boxes() const noexcept { return boxes_; }
  bool has_area() const noexcept { return area_; }

 private:
  static bool test(const std::vector<bool>& bits, std::uint32_t i) noexcept {
    return i < bits.size() && bits[i];
  }
  static void set(std::vector<bool>& bits, std::uint32_t i);

  bool scoped_ = false;
  bool area_ = false;        // boxes or groups given
  bool by_group_ = false;    // groups given: the area holds only their members
  bool restricted_ = false;  // a share: only `allowed_`
  std::vector<LonLatBox> boxes_;
  std::vector<bool> members_;  // group members
  std::vector<bool> named_;
  std::vector<std::uint32_t> named_list_;
  std::vector<bool> allowed_;
};

}  // namespace fleet::hub
