#include "hub/view_filter.hpp"

namespace fleet::hub {

std::vector<LonLatBox> split_boxes(std::span<const proto::GeoBox> boxes) {
  std::vector<LonLatBox> out;
  out.reserve(boxes.size() * 2);
  for (const proto::GeoBox& b : boxes) {
    if (b.west <= b.east) {
      out.push_back({b.west, b.south, b.east, b.north});
    } else {
      out.push_back({b.west, b.south, 180, b.north});
      out.push_back({-180, b.south, b.east, b.north});
    }
  }
  return out;
}

void ViewFilter::set(std::vector<bool>& bits, std::uint32_t i) {
  if (i >= bits.size()) bits.resize(i + 1);
  bits[i] = true;
}

ViewFilter::ViewFilter(std::span<const proto::GeoBox> boxes, bool has_groups,
                       std::span<const std::uint32_t> group_members, std::span<const std::uint32_t> named,
                       std::span<const std::uint32_t> allowed, bool restricted)
    : area_(!boxes.empty() || has_groups),
      by_group_(has_groups),
      restricted_(restricted),
      boxes_(split_boxes(boxes)) {
  for (std::uint32_t i : allowed) set(allowed_, i);
  for (std::uint32_t i : group_members) set(members_, i);
  for (std::uint32_t i : named) {
    if (restricted_ && !test(allowed_, i)) continue;
    if (!test(named_, i)) named_list_.push_back(i);
    set(named_, i);
  }
  // A share with no view of its own: its devices, as named ones (followed wherever they go).
  if (restricted_ && !area_ && named_list_.empty()) {
    for (std::uint32_t i : allowed) {
      if (!test(named_, i)) named_list_.push_back(i);
      set(named_, i);
    }
  }
  scoped_ = restricted_ || area_ || !named_list_.empty();
}

bool ViewFilter::matches(std::uint32_t index, double lat, double lon) const noexcept {
  if (!scoped_) return true;
  if (restricted_ && !test(allowed_, index)) return false;
  if (test(named_, index)) return true;
  if (!area_) return false;
  if (by_group_ && !test(members_, index)) return false;
  if (boxes_.empty()) return true;
  for (const LonLatBox& b : boxes_) {
    if (b.contains(lat, lon)) return true;
  }
  return false;
}

}  // namespace fleet::hub
