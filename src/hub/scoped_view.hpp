#pragma once
// A scoped session's side of the fan-out (docs/protocol.md, "Views"): its filter, which devices its
// client has in view, and the devices that crossed the view's edge since the last frame. Owned by the
// session, touched only on its worker's thread. The hub offers it each event its cells route here; the
// view queues the matching ones in the session's outbox (as slices of the shared batch: no copy).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hub/outbox.hpp"
#include "hub/view_cells.hpp"
#include "hub/view_filter.hpp"
#include "proto/messages.hpp"

namespace fleet::hub {

class ScopedView {
 public:
  explicit ScopedView(Outbox& outbox) : outbox_(outbox) {}
  ScopedView(const ScopedView&) = delete;
  ScopedView& operator=(const ScopedView&) = delete;

  const ViewFilter& filter() const noexcept { return filter_; }
  // A new filter (the caller re-registers the session with its hub). The in-view set is kept until the
  // scoped snapshot resets it.
  void set_filter(ViewFilter filter);

  // Event `i` of `batch` (of this session's tenant) may concern this view. A matching event is queued;
  // a device entering or leaving is recorded (a leaving device's queued events are dropped: its position
  // outside the view is never sent). `changed` is set when a crossing was recorded.
  Outbox::Push offer(const std::shared_ptr<const proto::EncodedBatch>& batch, std::uint32_t i, bool& changed);

  // The scoped snapshot's devices are what the client has in view now; pending crossings are void.
  void reset_inside(std::span<const std::uint32_t> inside);

  bool has_changes() const noexcept { return !changed_.empty(); }
  // The devices whose in-view state differs from the last call's (a device that left and came back, or
  // the reverse, is in neither list). Clears the record.
  void take_changes(std::vector<std::string>& entered, std::vector<std::string>& left);

  // --- The hub's bookkeeping (TenantHub only).
  std::uint64_t stamp = 0;     // the last event offered: an event routed here twice is offered once
  std::uint64_t notified = 0;  // the last publish that put this session on the ready list
  bool registered = false;
  CellCover cells;  // where the hub registered it
  std::vector<std::uint32_t> named;

 private:
  bool inside(std::uint32_t index) const noexcept { return index < inside_.size() && inside_[index]; }
  void flip(std::uint32_t index, const DeviceId& device, bool now_inside);

  Outbox& outbox_;
  ViewFilter filter_;
  std::vector<bool> inside_;  // by device index: the client has it in view
  struct Crossing {
    std::uint32_t index;
    bool was_inside;  // at the last take_changes
    std::string device;
  };
  std::vector<Crossing> changed_;
};

}  // namespace fleet::hub
