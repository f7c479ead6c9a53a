#include "hub/broker.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "obs/metrics.hpp"

namespace fleet::hub {
namespace {

struct BrokerMetrics {
  obs::Registry& r = obs::Registry::global();
  obs::Gauge& pending_batches =
      r.gauge("fleet_broker_pending_batches",
              "Batches stored but not yet handed to a worker's hub, summed over workers");
  obs::Gauge& pending_bytes =
      r.gauge("fleet_broker_pending_bytes",
              "Bytes of those batches, summed over workers (a batch shared by N workers counts N times)");
  obs::Counter& overflows =
      r.counter("fleet_broker_overflows_total",
                "Times a worker fell so far behind that its waiting batches were coalesced");
  obs::Counter& dropped_events =
      r.counter("fleet_broker_dropped_events_total",
                "Events a worker that fell behind never received, per worker (viewers see them as skipped)");
  static BrokerMetrics& get() {
    static BrokerMetrics m;
    return m;
  }
};

// Registered at start-up so every series is exported (as 0) before its first event.
[[maybe_unused]] const BrokerMetrics& registered_broker_metrics = BrokerMetrics::get();

using BatchPtr = std::shared_ptr<const proto::EncodedBatch>;

std::size_t cost(const proto::EncodedBatch& b) noexcept { return b.bytes.size() + b.compact.size(); }

// One event of a waiting batch.
struct Pick {
  const proto::EncodedBatch* batch;
  std::uint32_t index;
};

// One batch of `tenant` holding `picks` (ascending seq), laid out as encode_batch lays out its own: each
// event's JSON bytes copied once and its compact bytes rebased, so that any run of its events is one valid
// slice in either format.
BatchPtr merge(const TenantId& tenant, const std::vector<Pick>& picks) {
  proto::BatchBuilder builder(tenant, picks.size());
  for (const Pick& p : picks) builder.add(*p.batch, p.index);
  return builder.finish();
}

}  // namespace

LocalBroker::LocalBroker(BrokerLimits limits) : limits_(limits) {}

LocalBroker::~LocalBroker() {
  // Batches still waiting leave the gauges with the broker.
  auto& m = BrokerMetrics::get();
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    m.pending_batches.sub(static_cast<std::int64_t>(shard->pending.size()));
    m.pending_bytes.sub(static_cast<std::int64_t>(shard->pending_bytes));
  }
}

void LocalBroker::add_shard(Post post, TenantHub& hub) {
  auto shard = std::make_unique<Shard>();
  shard->post = std::move(post);
  shard->hub = &hub;
  shards_.push_back(std::move(shard));
}

void LocalBroker::publish(std::shared_ptr<const proto::EncodedBatch> batch) {
  auto& m = BrokerMetrics::get();
  const std::size_t bytes = cost(*batch);
  for (const auto& owned : shards_) {
    Shard& shard = *owned;
    bool post = false;
    {
      std::lock_guard lock(shard.mu);
      shard.pending.push_back(batch);
      shard.pending_bytes += bytes;
      m.pending_batches.add(1);
      m.pending_bytes.add(static_cast<std::int64_t>(bytes));
      if (shard.pending.size() > limits_.max_batches || shard.pending_bytes > limits_.max_bytes) shed(shard);
      post = !std::exchange(shard.drain_posted, true);
    }
    // Posted outside the lock (posting takes the worker's own queue lock). Whatever is pushed before the
    // drain runs rides along with it, so every batch published before any later post to this worker
    // (a store answer, a 202) reaches the hub before that post runs.
    if (!post) continue;
    try {
      shard.post([s = &shard] { drain(*s); });
    } catch (...) {
      // Not queued (out of memory): let the next publish try again rather than strand the mailbox.
      std::lock_guard lock(shard.mu);
      shard.drain_posted = false;
      throw;
    }
  }
}

void LocalBroker::shed(Shard& shard) const {
  // Allocates, but only here, on a path a worker that keeps up never takes.
  auto& pending = shard.pending;
  const std::size_t batches_before = pending.size();
  const std::size_t bytes_before = shard.pending_bytes;
  std::uint64_t events_before = 0;
  for (const auto& b : pending) events_before += b->events.size();

  // 1. Per tenant, the newest waiting event of each device, gathered newest first.
  struct Tenant {
    std::size_t newest = 0;  // index of its newest batch: tenants keep that order
    std::size_t batches = 0;
    std::unordered_set<std::string_view> devices;
    std::vector<Pick> picks;
  };
  std::unordered_map<TenantId, Tenant> tenants;
  for (std::size_t i = pending.size(); i-- > 0;) {
    const proto::EncodedBatch& b = *pending[i];
    auto [it, fresh] = tenants.try_emplace(b.tenant);
    Tenant& t = it->second;
    if (fresh) t.newest = i;
    ++t.batches;
    for (auto e = static_cast<std::uint32_t>(b.events.size()); e-- > 0;) {
      if (t.devices.insert(b.events[e].device.str()).second) t.picks.push_back({&b, e});
    }
  }
  std::vector<Tenant*> order;
  order.reserve(tenants.size());
  for (auto& [id, t] : tenants) {
    if (!t.picks.empty()) order.push_back(&t);
  }
  std::sort(order.begin(), order.end(),
            [](const Tenant* a, const Tenant* b) { return a->newest < b->newest; });
  std::vector<BatchPtr> kept;  // oldest first
  kept.reserve(order.size());
  for (Tenant* t : order) {
    const BatchPtr& newest = pending[t->newest];
    if (t->batches == 1 && t->picks.size() == newest->events.size()) {
      kept.push_back(newest);  // one batch, one event per device: nothing to coalesce
    } else {
      std::reverse(t->picks.begin(), t->picks.end());
      kept.push_back(merge(newest->tenant, t->picks));
    }
  }

  // 2. Still above half a bound: the oldest tenants' batches go, the newest stays.
  std::size_t bytes = 0;
  for (const auto& b : kept) bytes += cost(*b);
  std::size_t drop = 0;
  while (kept.size() - drop > 1 &&
         (kept.size() - drop > limits_.max_batches / 2 || bytes > limits_.max_bytes / 2)) {
    bytes -= cost(*kept[drop++]);
  }
  kept.erase(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(drop));
  std::uint64_t events_after = 0;
  for (const auto& b : kept) events_after += b->events.size();
  pending = std::move(kept);
  shard.pending_bytes = bytes;

  ++shard.overflows;
  shard.dropped_events += events_before - events_after;
  auto& m = BrokerMetrics::get();
  m.pending_batches.sub(static_cast<std::int64_t>(batches_before) -
                        static_cast<std::int64_t>(pending.size()));
  m.pending_bytes.sub(static_cast<std::int64_t>(bytes_before) - static_cast<std::int64_t>(bytes));
  m.overflows.inc();
  m.dropped_events.inc(events_before - events_after);
}

void LocalBroker::drain(Shard& shard) {
  std::size_t bytes = 0;
  {
    std::lock_guard lock(shard.mu);
    shard.draining.swap(shard.pending);
    bytes = shard.pending_bytes;
    shard.pending_bytes = 0;
    shard.drain_posted = false;  // what is published from now on posts the next drain
  }
  auto& m = BrokerMetrics::get();
  m.pending_batches.sub(static_cast<std::int64_t>(shard.draining.size()));
  m.pending_bytes.sub(static_cast<std::int64_t>(bytes));
  for (const auto& batch : shard.draining) shard.hub->publish(batch);
  shard.draining.clear();  // keeps capacity for the next burst
}

LocalBroker::ShardStats LocalBroker::stats(std::size_t shard) const {
  const Shard& s = *shards_.at(shard);
  std::lock_guard lock(s.mu);
  return ShardStats{s.pending.size(), s.pending_bytes, s.overflows, s.dropped_events};
}

}  // namespace fleet::hub
