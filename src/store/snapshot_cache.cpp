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
  out.devices.reserve(state->devices);
  for (const auto& chunk : state->chunks) {
    for (const auto& d : *chunk) {
      if (d) out.devices.push_back(*d);
    }
  }
  return out;
}

void SnapshotCache::install(const TenantId& tenant, const Snapshot& snap) {
  // Every unknown tenant looks like this; caching it would let anyone with a token grow the cache.
  if (snap.seq == 0 && snap.devices.empty()) return;
  auto state = std::make_shared<State>();
  state->seq = snap.seq;
  Slots slots;
  std::shared_ptr<Chunk> chunk;
  for (const Device& d : snap.devices) {
    if (!chunk || chunk->size() == kChunk) {
      chunk = std::make_shared<Chunk>();
      chunk->reserve(kChunk);
      state->chunks.push_back(chunk);
    }
    slots.emplace(d.id.str(), state->slots++);
    chunk->push_back(std::make_shared<const Device>(d));
  }
  state->devices = state->slots;
  {
    std::lock_guard lock(mu_);
    if (closed_ || tenants_.size() >= max_tenants_ || tenants_.contains(tenant.str())) return;
    tenants_.emplace(tenant.str(), std::move(state));
  }
  slots_[tenant.str()] = std::move(slots);
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
    const auto slots = slots_.find(tenant);
    auto next = std::make_shared<State>(*cur);  // the chunk pointers; touched chunks are copied below
    next->seq = std::max(cur->seq, delta.seq);
    std::vector<std::shared_ptr<Chunk>> copied(next->chunks.size());
    bool mirrors = slots != slots_.end();
    for (const auto& [id, point] : delta.newest) {
      if (!mirrors) break;
      const auto slot = slots->second.find(id);
      if (slot == slots->second.end()) {
        mirrors = false;
        break;
      }
      const std::size_t c = slot->second / kChunk;
      const std::size_t i = slot->second % kChunk;
      const std::shared_ptr<const Device>& d = (*next->chunks[c])[i];
      if (d->last && d->last->point.ts_ms > point->point.ts_ms) continue;  // an older point arrived late
      if (!copied[c]) {
        copied[c] = std::make_shared<Chunk>(*next->chunks[c]);
        next->chunks[c] = copied[c];
      }
      auto updated = std::make_shared<Device>(*d);
      updated->last = *point;
      (*copied[c])[i] = std::move(updated);
    }
    // A device the cached state does not hold stored a point: the state no longer mirrors the database.
    // Unreachable while every change goes through apply_*; reloading is the safe answer if it ever is not.
    if (!mirrors) {
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
  const auto slots = slots_.find(device.tenant.str());
  if (!cur || slots == slots_.end()) return;
  auto next = std::make_shared<State>(*cur);
  std::shared_ptr<Chunk> last;
  if (next->slots % kChunk == 0) {
    last = std::make_shared<Chunk>();
    last->reserve(kChunk);
    next->chunks.push_back(last);
  } else {
    last = std::make_shared<Chunk>(*next->chunks.back());
    next->chunks.back() = last;
  }
  last->push_back(std::make_shared<const Device>(device));
  slots->second.emplace(device.id.str(), next->slots++);
  ++next->devices;
  replace(device.tenant.str(), std::move(next));
}

void SnapshotCache::apply_revoked(const TenantId& tenant, const DeviceId& id) {
  const StatePtr cur = current(tenant.str());
  const auto slots = slots_.find(tenant.str());
  if (!cur || slots == slots_.end()) return;
  const auto slot = slots->second.find(id.str());
  if (slot == slots->second.end()) return;  // revoked before: nothing to change
  auto next = std::make_shared<State>(*cur);
  const std::size_t c = slot->second / kChunk;
  auto chunk = std::make_shared<Chunk>(*next->chunks[c]);
  (*chunk)[slot->second % kChunk] = nullptr;
  next->chunks[c] = std::move(chunk);
  --next->devices;
  slots->second.erase(slot);
  replace(tenant.str(), std::move(next));
}

void SnapshotCache::invalidate(const TenantId& tenant) {
  slots_.erase(tenant.str());
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
