#include "cluster/tenant_sequencer.hpp"

#include <algorithm>
#include <utility>

namespace fleet::cluster {

namespace {

// The batch without its events at or below `delivered` (null when none is left). Shares the original when
// nothing is trimmed; otherwise copies the remaining events' bytes once.
std::shared_ptr<const proto::EncodedBatch> trim(std::shared_ptr<const proto::EncodedBatch> batch,
                                                Seq delivered, std::uint64_t& trimmed) {
  const auto& events = batch->events;
  const auto keep =
      std::find_if(events.begin(), events.end(), [&](const auto& e) { return e.seq > delivered; });
  const auto first = static_cast<std::size_t>(keep - events.begin());
  trimmed += first;
  if (first == 0) return batch;
  if (first == events.size()) return nullptr;
  proto::BatchBuilder builder(batch->tenant, events.size() - first);
  for (std::size_t k = first; k < events.size(); ++k) builder.add(*batch, k);
  return builder.finish();
}

}  // namespace

TenantSequencer::TenantSequencer(SequencerOptions options) : options_(options) {}

TenantSequencer::Tenant& TenantSequencer::tenant(const TenantId& id) { return tenants_[id]; }

void TenantSequencer::init(std::span<const TenantHead> heads, std::int64_t now_ms, Batches& out) {
  if (initialised_) return;
  initialised_ = true;
  for (const TenantHead& h : heads) {
    Tenant& t = tenant(h.tenant);
    t.delivered = h.seq;
    t.known = h.seq;
  }
  Batches buffered = std::exchange(before_init_, {});
  stats_.held_batches = 0;
  stats_.held_bytes = 0;
  for (auto& b : buffered) offer(std::move(b), now_ms, out);
}

bool TenantSequencer::over_bounds(std::size_t more_bytes) const noexcept {
  return stats_.held_batches + 1 > options_.max_held_batches ||
         stats_.held_bytes + more_bytes > options_.max_held_bytes;
}

void TenantSequencer::offer(std::shared_ptr<const proto::EncodedBatch> batch, std::int64_t now_ms,
                            Batches& out) {
  if (!batch || batch->events.empty()) return;
  if (!initialised_) {
    // Bounded like held batches; one not kept is committed, so the store repair after init finds it.
    if (over_bounds(batch->bytes.size())) {
      ++stats_.held_dropped;
      return;
    }
    ++stats_.held_batches;
    stats_.held_bytes += batch->bytes.size();
    before_init_.push_back(std::move(batch));
    return;
  }
  Tenant& t = tenant(batch->tenant);
  t.known = std::max(t.known, batch->last_seq());
  if (batch->last_seq() <= t.delivered) {
    stats_.duplicate_events += batch->events.size();
  } else if (batch->first_seq() <= t.delivered + 1) {
    deliver_from(t, std::move(batch), out);
    release_held(t, out);
  } else {
    hold(t, std::move(batch));
  }
  update_gap(t, now_ms);
}

void TenantSequencer::deliver_from(Tenant& t, std::shared_ptr<const proto::EncodedBatch> batch,
                                   Batches& out) {
  auto rest = trim(std::move(batch), t.delivered, stats_.duplicate_events);
  if (!rest) return;
  t.delivered = rest->last_seq();
  out.push_back(std::move(rest));
}

void TenantSequencer::release_held(Tenant& t, Batches& out) {
  while (!t.held.empty() && t.held.begin()->first <= t.delivered + 1) {
    auto batch = std::move(t.held.begin()->second);
    t.held.erase(t.held.begin());
    --stats_.held_batches;
    stats_.held_bytes -= batch->bytes.size();
    if (batch->last_seq() <= t.delivered) {
      stats_.duplicate_events += batch->events.size();
      continue;
    }
    deliver_from(t, std::move(batch), out);
  }
}

void TenantSequencer::hold(Tenant& t, std::shared_ptr<const proto::EncodedBatch> batch) {
  auto [it, fresh] = t.held.try_emplace(batch->first_seq());
  if (!fresh) {
    // The same start twice (a duplicate, or a store answer over a bus batch): keep the longer.
    if (it->second->last_seq() >= batch->last_seq()) {
      stats_.duplicate_events += batch->events.size();
      return;
    }
    stats_.duplicate_events += it->second->events.size();
    --stats_.held_batches;
    stats_.held_bytes -= it->second->bytes.size();
  }
  if (over_bounds(batch->bytes.size())) {
    ++stats_.held_dropped;  // its seqs stay in t.known: the repair reads them from the store
    t.held.erase(it);
    return;
  }
  ++stats_.held_batches;
  stats_.held_bytes += batch->bytes.size();
  it->second = std::move(batch);
}

void TenantSequencer::update_gap(Tenant& t, std::int64_t now_ms) {
  const bool gap = t.known > t.delivered;
  if (gap && !t.gap) {
    t.gap_since_ms = now_ms;
    t.next_try_ms = now_ms + options_.hold_ms;
    ++open_gaps_;
  } else if (!gap && t.gap) {
    --open_gaps_;
  }
  t.gap = gap;
}

void TenantSequencer::heads(std::span<const TenantHead> heads, std::int64_t now_ms) {
  for (const TenantHead& h : heads) {
    Tenant& t = tenant(h.tenant);
    t.known = std::max(t.known, h.seq);
    update_gap(t, now_ms);
  }
}

std::vector<RepairDue> TenantSequencer::take_repairs(std::int64_t now_ms) {
  std::vector<RepairDue> due;
  if (!initialised_ || open_gaps_ == 0) return due;
  for (auto& [id, t] : tenants_) {
    if (!t.gap || t.repairing || now_ms < t.next_try_ms) continue;
    t.repairing = true;
    due.push_back(RepairDue{id, t.delivered, t.gap_since_ms});
  }
  return due;
}

void TenantSequencer::repair_done(const TenantId& tenant_id, std::int64_t now_ms) {
  Tenant& t = tenant(tenant_id);
  t.repairing = false;
  t.next_try_ms = now_ms + options_.hold_ms;
}

void TenantSequencer::skip_to(const TenantId& tenant_id, Seq seq, std::int64_t now_ms, Batches& out) {
  Tenant& t = tenant(tenant_id);
  t.repairing = false;
  t.next_try_ms = now_ms;
  if (seq > t.delivered) {
    stats_.skipped_events += seq - t.delivered;
    t.delivered = seq;
    t.known = std::max(t.known, seq);
    release_held(t, out);
  }
  update_gap(t, now_ms);
}

Seq TenantSequencer::delivered(const TenantId& tenant_id) const {
  auto it = tenants_.find(tenant_id);
  return it == tenants_.end() ? 0 : it->second.delivered;
}

}  // namespace fleet::cluster
