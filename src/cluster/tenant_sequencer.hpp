#pragma once
// Per-tenant ordering of committed batches arriving from anywhere (this node's commits, the bus, store
// repairs) into the one stream each node hands its LocalBroker: every tenant's events in seq order,
// contiguous, each once (docs/architecture.md, "Cluster bus").
//
// Pure logic: no threads, no I/O, time passed in. Owned by the ClusterBroker's cluster thread.
//
// Per tenant it keeps the last delivered seq and the highest seq known to be committed (from batches seen
// and from probed heads). A batch that starts at delivered + 1 (after trimming what was delivered) goes
// out at once, releasing any held batches it joins up with; one that starts later is held. While
// known > delivered the tenant has a gap; a gap older than hold_ms is reported as a repair due (read the
// store after `delivered`); the answer is offered like any batch. If the store cannot answer within the
// repair cap, skip_to() gives the events up: sessions see the jump and report `skipped` (their outbox
// treats any seq gap so), nothing is lost silently.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "cluster/seq_source.hpp"
#include "proto/messages.hpp"

namespace fleet::cluster {

struct SequencerOptions {
  std::int64_t hold_ms = 200;  // how long a gap may wait for the bus before the store is read
  // Bounds on held early arrivals (summed over tenants, EncodedBatch::bytes), and on batches buffered
  // before init(). Over them a batch is not kept: its seqs stay known, so the store repair delivers them.
  std::size_t max_held_batches = 4096;
  std::size_t max_held_bytes = std::size_t{32} << 20;
};

using Batches = std::vector<std::shared_ptr<const proto::EncodedBatch>>;

// A gap to fill: read the tenant's committed events after `after`.
struct RepairDue {
  TenantId tenant;
  Seq after = 0;
  std::int64_t gap_since_ms = 0;  // when the gap was first seen
};

class TenantSequencer {
 public:
  struct Stats {
    std::size_t held_batches = 0;
    std::size_t held_bytes = 0;
    std::uint64_t held_dropped = 0;      // batches not kept (bounds)
    std::uint64_t duplicate_events = 0;  // events trimmed or dropped as already delivered
    std::uint64_t skipped_events = 0;    // events given up by skip_to()
  };

  explicit TenantSequencer(SequencerOptions options = {});

  // Sets each listed tenant's delivered seq to its head (a tenant not listed starts at 0), then offers
  // everything offered before, appending what can be delivered to `out`. Once.
  void init(std::span<const TenantHead> heads, std::int64_t now_ms, Batches& out);
  bool initialised() const noexcept { return initialised_; }

  // A committed batch (events in ascending seq). Appends to `out` what can be delivered now, in order:
  // already-delivered events trimmed (a trimmed batch is rebuilt from the original's bytes), duplicates
  // dropped, an early batch held until the gap before it is filled.
  void offer(std::shared_ptr<const proto::EncodedBatch> batch, std::int64_t now_ms, Batches& out);

  // Heads from a probe: a head past what was delivered opens a gap (unless one is open).
  void heads(std::span<const TenantHead> heads, std::int64_t now_ms);

  // Gaps whose repair is due (open for hold_ms, none in flight), each marked in flight until
  // repair_done() or skip_to() for its tenant.
  std::vector<RepairDue> take_repairs(std::int64_t now_ms);
  // The repair in flight for the tenant ended (its answer, if any, already offered). A gap still open is
  // retried hold_ms later.
  void repair_done(const TenantId& tenant_id, std::int64_t now_ms);
  // Gives up the tenant's events up to `seq` (a repair over the cap): delivery resumes after it, with held
  // batches trimmed. Ends the repair in flight; a gap still open is due again at once.
  void skip_to(const TenantId& tenant_id, Seq seq, std::int64_t now_ms, Batches& out);

  Seq delivered(const TenantId& tenant_id) const;
  bool has_gaps() const noexcept { return open_gaps_ > 0; }
  Stats stats() const noexcept { return stats_; }

 private:
  struct Tenant {
    Seq delivered = 0;
    Seq known = 0;                                                   // highest seq known to be committed
    std::map<Seq, std::shared_ptr<const proto::EncodedBatch>> held;  // by first seq
    bool gap = false;
    std::int64_t gap_since_ms = 0;
    std::int64_t next_try_ms = 0;
    bool repairing = false;
  };

  Tenant& tenant(const TenantId& id);
  void deliver_from(Tenant& t, std::shared_ptr<const proto::EncodedBatch> batch, Batches& out);
  void release_held(Tenant& t, Batches& out);
  void hold(Tenant& t, std::shared_ptr<const proto::EncodedBatch> batch);
  void update_gap(Tenant& t, std::int64_t now_ms);
  bool over_bounds(std::size_t more_bytes) const noexcept;

  SequencerOptions options_;
  bool initialised_ = false;
  Batches before_init_;
  std::unordered_map<TenantId, Tenant> tenants_;
  std::size_t open_gaps_ = 0;
  Stats stats_;
};

}  // namespace fleet::cluster
