#include "store/snapshot_cache.hpp"

#include <algorithm>
#include <utility>

namespace fleet::store {

std::optional<Snapshot> SnapshotCache::find(const TenantId& tenant) const {
  StatePtr state;
  {
    std::lock_guard lock(mu_);
    if (closed_ || max_tenants_ == 0) return std::nullopt;  // closed, or turned off
    if (auto it = tenants_.find(tenant.str()); it != tenants_.end()) {
      state = it->second;
    } else if (!known_.contains(tenant.str())) {
      return Snapshot{};  // what the database would answer: no devices, nothing ever ingested
    } else {
      return std::nullopt;
    }
  }
  // The state is immutable: copying it needs no lock, so readers never hold up the store thread.
  Snapshot out{state->seq, {}};
  out.devices.reserve(state->devices.size());
  for (const auto& d : state->devices) out.devices.push_back(*d);
  return out;
}

void SnapshotCache::install(const TenantId& tenant, const Snapshot& snap) {
  // Every unknown tenant looks like this; caching it would let anyone with a token grow the cache.
  if (snap.seq == 0 && snap.devices.empty()) return;
  auto state = std::make_shared<State>();
  state->seq = snap.seq;
  state->devices.reserve(snap.devices.size());
  for (const Device& d : snap.devices) state->devices.push_back(std::make_shared<const Device>(d));
  std::lock_guard lock(mu_);
  if (closed_ || tenants_.size() >= max_tenants_) return;
  tenants_.try_emplace(tenant.str(), std::move(state));
}

void SnapshotCache::apply_appends(std::span<const Result<AppendResult>> results) {
  // What the group changed, per tenant: its new seq and each touched device's newest point of the group.
  struct Delta {
    Seq seq = 0;
    std::unordered_map<std::string_view, const StoredPoint*> newest;  // device id -> point in `results`
  };
  std::unordered_map<std::string_view, Delta> deltas;
  for (const auto& r : results) {
    if (!r) continue;
    Delta& delta = deltas[r->tenant.str()];
    delta.seq = std::max(delta.seq, r->last_seq);
    const StoredPoint*& newest = delta.newest[r->device.str()];
    for (const StoredPoint& p : r->points) {
      // Seqs only grow within a group, so ">=" lets the later seq win a tie, as in the database.
      if (newest == nullptr || p.point.ts_ms >= newest->point.ts_ms) newest = &p;
    }
  }

  for (const auto& [tenant, delta] : deltas) {
    const StatePtr cur = current(tenant);
    if (!cur) continue;
    auto next = std::make_shared<State>();
    next->seq = std::max(cur->seq, delta.seq);
    next->devices.reserve(cur->devices.size());
    std::size_t matched = 0;
    for (const auto& d : cur->devices) {
      auto it = delta.newest.find(d->id.str());
      if (it == delta.newest.end()) {
        next->devices.push_back(d);
        continue;
      }
      ++matched;
      const StoredPoint& p = *it->second;
      if (d->last && d->last->point.ts_ms > p.point.ts_ms) {  // an older point arrived late: last stays
        next->devices.push_back(d);
        continue;
      }
      auto updated = std::make_shared<Device>(*d);
      updated->last = p;
      next->devices.push_back(std::move(updated));
    }
    // A device the cached state does not hold stored a point: the state no longer mirrors the database.
    // Unreachable while every change goes through apply_*; reloading is the safe answer if it ever is not.
    if (matched != delta.newest.size()) {
      invalidate(TenantId(std::string(tenant)));
      continue;
    }
    replace(tenant, std::move(next));
  }
}

void SnapshotCache::set_known_tenants(std::vector<std::string> tenants) {
  std::lock_guard lock(mu_);
  for (auto& t : tenants) known_.insert(std::move(t));
}

void SnapshotCache::apply_created(const Device& device) {
  {
    std::lock_guard lock(mu_);
    if (!known_.contains(device.tenant.str())) known_.insert(device.tenant.str());
  }
  const StatePtr cur = current(device.tenant.str());
  if (!cur) return;
  auto next = std::make_shared<State>(*cur);
  next->devices.push_back(std::make_shared<const Device>(device));
  replace(device.tenant.str(), std::move(next));
}

void SnapshotCache::apply_revoked(const TenantId& tenant, const DeviceId& id) {
  const StatePtr cur = current(tenant.str());
  if (!cur) return;
  auto next = std::make_shared<State>();
  next->seq = cur->seq;
  next->devices.reserve(cur->devices.size());
  for (const auto& d : cur->devices) {
    if (d->id != id) next->devices.push_back(d);
  }
  if (next->devices.size() == cur->devices.size()) return;  // revoked before: nothing to change
  replace(tenant.str(), std::move(next));
}

void SnapshotCache::invalidate(const TenantId& tenant) {
  StatePtr gone;  // freed after the lock is released
  std::lock_guard lock(mu_);
  if (auto it = tenants_.find(tenant.str()); it != tenants_.end()) {
    gone = std::move(it->second);
    tenants_.erase(it);
  }
}

void SnapshotCache::close() {
  decltype(tenants_) gone;  // freed after the lock is released
  decltype(known_) forgotten;
  std::lock_guard lock(mu_);
  closed_ = true;
  gone.swap(tenants_);
  forgotten.swap(known_);
}

SnapshotCache::StatePtr SnapshotCache::current(std::string_view tenant) const {
  std::lock_guard lock(mu_);
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? nullptr : it->second;
}

void SnapshotCache::replace(std::string_view tenant, StatePtr next) {
  std::lock_guard lock(mu_);
  // Swapping hands the old state to `next`, which is destroyed after the lock is released.
  if (auto it = tenants_.find(tenant); it != tenants_.end()) it->second.swap(next);
}

}  // namespace fleet::store
