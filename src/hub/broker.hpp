#pragma once
// The seam between "a batch was durably stored" and "deliver it to every worker's sessions".
// LocalBroker fans out inside one process; a multi-node broker (NATS) will sit beside it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "hub/tenant_hub.hpp"
#include "proto/messages.hpp"

namespace fleet::hub {

class Broker {
 public:
  virtual ~Broker() = default;
  // Thread-safe, and never waits for a worker. Callers publish each tenant's batches in commit (seq)
  // order; delivery keeps that order (and may leave batches out: see LocalBroker).
  virtual void publish(std::shared_ptr<const proto::EncodedBatch> batch) = 0;
};

// What one worker may have waiting for it. Batches are shared across workers (one encoding each), so
// these bound what a worker that falls behind keeps alive, not copies.
struct BrokerLimits {
  std::size_t max_batches = 4096;
  std::size_t max_bytes = std::size_t{32} << 20;  // EncodedBatch::bytes, summed
};

// Hands each batch to every worker's TenantHub through a per-worker mailbox: publish() appends to each
// mailbox and posts one drain task when a mailbox goes from empty to non-empty, so a burst of commits
// costs each worker one wake-up and the store thread one short lock per worker, never a wait.
//
// Policy when a worker falls behind (its mailbox passes a bound): coalesce what waits, as an outbox does,
// into one batch per tenant holding only the newest waiting event of each device (a map needs nothing
// else). If that is still over half a bound (very many tenants or devices), the oldest tenants' batches
// go too, until it is not: the next overflow is then far away, so its cost is amortised. The newest
// batch is always kept. Nothing is lost for good: every batch is in the store, outboxes report the gap
// as `skipped` (docs/protocol.md), and the resume ring refuses to answer across it, so a resume that
// needs those events is served from the store. Counted in fleet_broker_overflows_total and
// fleet_broker_dropped_events_total; the mailboxes' depth is fleet_broker_pending_{batches,bytes}
// (summed over workers).
class LocalBroker final : public Broker {
 public:
  // Runs a task on a worker's thread, in FIFO order with that worker's other posted tasks.
  using Post = std::function<void(std::function<void()>)>;

  explicit LocalBroker(BrokerLimits limits = {});
  ~LocalBroker() override;
  LocalBroker(const LocalBroker&) = delete;
  LocalBroker& operator=(const LocalBroker&) = delete;

  // Registers a worker before the first publish; `hub` must outlive the broker's use, and the broker
  // must outlive every drain task it posted (they hold a pointer to the mailbox).
  void add_shard(Post post, TenantHub& hub);
  void publish(std::shared_ptr<const proto::EncodedBatch> batch) override;

  struct ShardStats {
    std::size_t pending_batches = 0;
    std::size_t pending_bytes = 0;
    std::uint64_t overflows = 0;       // times the mailbox passed a bound and was coalesced
    std::uint64_t dropped_events = 0;  // events this worker never received (coalesced or dropped)
  };
  // Thread-safe.
  ShardStats stats(std::size_t shard) const;
  std::size_t shards() const noexcept { return shards_.size(); }

 private:
  struct Shard {
    Post post;
    TenantHub* hub = nullptr;
    // The mailbox. The mutex is a leaf, held only to append, swap or shed pointers: never while
    // posting, publishing to the hub, or doing I/O.
    mutable std::mutex mu;
    std::vector<std::shared_ptr<const proto::EncodedBatch>> pending;
    std::size_t pending_bytes = 0;
    bool drain_posted = false;
    std::uint64_t overflows = 0;
    std::uint64_t dropped_events = 0;
    // Worker thread only: the batches being handed to the hub (capacity reused across drains).
    std::vector<std::shared_ptr<const proto::EncodedBatch>> draining;
  };

  void shed(Shard& shard) const;  // the overflow policy above; `shard.mu` held
  static void drain(Shard& shard);

  const BrokerLimits limits_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace fleet::hub
