#pragma once
// One tenant's scoped sessions on one worker, indexed so that an event is offered only to the sessions it
// may concern: those whose cells hold its new or its previous position (a device leaving a view must
// reach it), those naming its device, and those whose views cannot be cut into cells. Single-threaded:
// part of a worker's TenantHub.
#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "hub/scoped_view.hpp"
#include "hub/view_cells.hpp"
#include "proto/messages.hpp"

namespace fleet::hub {

class Subscriber;

class ViewIndex {
 public:
  // Registers `s` by its view's filter (s->scoped()); remove() first when it was registered.
  void add(Subscriber* s, ScopedView& view);
  void remove(Subscriber* s, ScopedView& view);
  bool empty() const noexcept { return all_.empty(); }
  std::size_t size() const noexcept { return all_.size(); }

  // Calls visit(Subscriber*) for every session the event may concern (a session may be visited more than
  // once: the caller deduplicates), then records the device's position for its next event.
  template <class Visit>
  void route(const proto::EncodedBatch::Event& e, Visit&& visit);

 private:
  static void erase(std::vector<Subscriber*>& v, Subscriber* s);
  void visit_cell(std::uint64_t key, auto& visit) {
    const auto it = cells_.find(key);
    if (it == cells_.end()) return;
    for (Subscriber* s : it->second) visit(s);
  }

  std::unordered_map<std::uint64_t, std::vector<Subscriber*>> cells_;
  std::unordered_map<std::uint32_t, std::vector<Subscriber*>> named_;
  std::vector<Subscriber*> everywhere_;
  std::vector<Subscriber*> all_;
  std::array<std::size_t, kCellLevels> level_users_{};
  struct Last {
    double lat = 0;
    double lon = 0;
    bool known = false;
  };
  std::vector<Last> last_;  // by device index
};

template <class Visit>
void ViewIndex::route(const proto::EncodedBatch::Event& e, Visit&& visit) {
  if (e.index >= last_.size()) last_.resize(std::max<std::size_t>(e.index + 1, last_.size() * 2));
  Last& last = last_[e.index];
  if (!last.known) {
    // First sight of the device here: where it was is unknown, so any view may hold it.
    for (Subscriber* s : all_) visit(s);
  } else {
    for (std::size_t level = 0; level < kCellLevels; ++level) {
      if (level_users_[level] == 0) continue;
      const std::uint64_t now = cell_key(level, e.lat, e.lon);
      visit_cell(now, visit);
      const std::uint64_t before = cell_key(level, last.lat, last.lon);
      if (before != now) visit_cell(before, visit);
    }
    if (const auto it = named_.find(e.index); it != named_.end()) {
      for (Subscriber* s : it->second) visit(s);
    }
    for (Subscriber* s : everywhere_) visit(s);
  }
  last = {e.lat, e.lon, true};
}

}  // namespace fleet::hub
