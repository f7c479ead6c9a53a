#include "hub/view_index.hpp"

#include <algorithm>

namespace fleet::hub {

void ViewIndex::erase(std::vector<Subscriber*>& v, Subscriber* s) {
  const auto it = std::find(v.begin(), v.end(), s);
  if (it == v.end()) return;
  *it = v.back();
  v.pop_back();
}

void ViewIndex::add(Subscriber* s, ScopedView& view) {
  const ViewFilter& f = view.filter();
  view.cells = {};
  if (f.has_area()) {
    if (f.boxes().empty()) {
      view.cells.everywhere = true;  // groups anywhere: not spatial
    } else {
      view.cells = cover(f.boxes());
    }
  }
  if (view.cells.everywhere) {
    everywhere_.push_back(s);
  } else if (!view.cells.cells.empty()) {
    ++level_users_[view.cells.level];
    for (std::uint64_t key : view.cells.cells) cells_[key].push_back(s);
  }
  view.named.assign(f.named_list().begin(), f.named_list().end());
  for (std::uint32_t i : view.named) named_[i].push_back(s);
  all_.push_back(s);
  view.registered = true;
}

void ViewIndex::remove(Subscriber* s, ScopedView& view) {
  if (!view.registered) return;
  if (view.cells.everywhere) {
    erase(everywhere_, s);
  } else if (!view.cells.cells.empty()) {
    --level_users_[view.cells.level];
    for (std::uint64_t key : view.cells.cells) {
      const auto it = cells_.find(key);
      if (it == cells_.end()) continue;
      erase(it->second, s);
      if (it->second.empty()) cells_.erase(it);
    }
  }
  for (std::uint32_t i : view.named) {
    const auto it = named_.find(i);
    if (it == named_.end()) continue;
    erase(it->second, s);
    if (it->second.empty()) named_.erase(it);
  }
  erase(all_, s);
  view.registered = false;
}

}  // namespace fleet::hub
