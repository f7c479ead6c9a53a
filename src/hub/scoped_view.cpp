#include "hub/scoped_view.hpp"

#include <algorithm>

namespace fleet::hub {

void ScopedView::set_filter(ViewFilter filter) {
  filter_ = std::move(filter);
  outbox_.set_never_coalesced(&filter_.named_bits());
}

Outbox::Push ScopedView::offer(const std::shared_ptr<const proto::EncodedBatch>& batch, std::uint32_t i,
                               bool& changed) {
  const proto::EncodedBatch::Event& e = batch->events[i];
  const bool match = filter_.matches(e.index, e.lat, e.lon);
  const bool was = inside(e.index);
  if (match) {
    if (!was) {
      flip(e.index, e.device, true);
      changed = true;
    }
    return outbox_.push_event(batch, i);
  }
  if (was) {
    flip(e.index, e.device, false);
    outbox_.drop_device(e.index);
    changed = true;
  }
  return Outbox::Push::ok;
}

void ScopedView::flip(std::uint32_t index, const DeviceId& device, bool now_inside) {
  if (index >= inside_.size()) inside_.resize(std::max<std::size_t>(index + 1, inside_.size() * 2));
  inside_[index] = now_inside;
  // Crossings are rare next to events: a short list searched linearly.
  const auto it =
      std::find_if(changed_.begin(), changed_.end(), [index](const Crossing& c) { return c.index == index; });
  if (it == changed_.end()) changed_.push_back({index, !now_inside, device.str()});
}

void ScopedView::reset_inside(std::span<const std::uint32_t> inside) {
  std::fill(inside_.begin(), inside_.end(), false);
  for (std::uint32_t i : inside) {
    if (i >= inside_.size()) inside_.resize(std::max<std::size_t>(i + 1, inside_.size() * 2));
    inside_[i] = true;
  }
  changed_.clear();
}

void ScopedView::take_changes(std::vector<std::string>& entered, std::vector<std::string>& left) {
  for (Crossing& c : changed_) {
    const bool now = inside(c.index);
    if (now == c.was_inside) continue;
    (now ? entered : left).push_back(std::move(c.device));
  }
  changed_.clear();
}

}  // namespace fleet::hub
