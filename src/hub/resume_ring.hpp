#pragma once
// Each tenant's recent batches, so that a session that reconnects can be sent exactly the events it
// missed without asking the store (docs/protocol.md, "Resume"). One ring per worker, owned by its
// TenantHub and touched only on that worker's thread: the hub appends every batch it receives, of every
// tenant, before its fan-out, so a session that subscribes and then reads the ring in one handler sees
// every batch exactly once (the ring holds those before, the outbox gets those after).
//
// The batches are the broker's shared, immutable ones: the ring holds references, never copies. Bounded
// per tenant in bytes, in age, and per worker in total bytes (a tenant that pushes the total over the
// bound loses its own oldest batches first).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"
#include "hub/outbox.hpp"
#include "proto/messages.hpp"

namespace fleet::hub {

struct ResumeRingLimits {
  std::size_t tenant_bytes = 1 << 20;
  std::chrono::milliseconds max_age{120'000};
  std::size_t total_bytes = std::size_t{256} << 20;
};

class ResumeRing {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ResumeRing(ResumeRingLimits limits = {}) : limits_(limits) {}
  ResumeRing(const ResumeRing&) = delete;
  ResumeRing& operator=(const ResumeRing&) = delete;
  ~ResumeRing();

  // Batches of one tenant arrive in ascending seq (the broker's order), gap-free unless the broker shed
  // batches for a worker that fell behind (broker.hpp); collect() refuses to answer across such a gap.
  void append(const std::shared_ptr<const proto::EncodedBatch>& batch, Clock::time_point now);

  struct Found {
    std::size_t events = 0;
    std::size_t bytes = 0;  // payload bytes of the slices, separators included
  };
  // When the ring holds every event of `tenant` with seq > `since` through the newest one it received,
  // appends them to `out` as slices, oldest first (none when `since` is that newest seq), and says how
  // much that is. nullopt, with `out` untouched, when it does not reach back to since + 1 or `since` is
  // beyond what it received: the store has to answer.
  std::optional<Found> collect(const TenantId& tenant, Seq since, std::vector<Slice>& out) const;

  // The oldest and newest seq the ring holds for `tenant`, if any.
  struct Span {
    Seq first = 0;
    Seq last = 0;
  };
  std::optional<Span> span(const TenantId& tenant) const;

  // Puts a store read of older events in front of what the ring holds for the tenant, so the next
  // resumes from that far back are answered here (a restart empties the ring; then every viewer resumes
  // at once). `older` must end right before the ring's oldest event and the ring's newest must be
  // `tenant_seq` (or the ring holds nothing of the tenant and `older` ends at `tenant_seq`): anything else
  // is refused, as is a batch the tenant's byte bound has no room for. Returns whether it was kept.
  bool seed(const std::shared_ptr<const proto::EncodedBatch>& older, Seq tenant_seq, Clock::time_point now);

  // Drops batches older than the age bound. Called from the worker's periodic sweep; append() also
  // trims the tenant it appends to.
  void expire(Clock::time_point now);

  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t batches() const noexcept { return batches_; }
  std::size_t tenants() const noexcept { return tenants_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const proto::EncodedBatch> batch;
    Clock::time_point at;
  };
  struct Tenant {
    std::deque<Entry> entries;
    std::size_t bytes = 0;
  };
  enum class Why : std::uint8_t { age, bytes };

  void count_added(Tenant& t, std::size_t cost);  // bytes and metrics for a batch just added to `t`
  void pop_front(Tenant& t, Why why);
  // Age first, then the per-tenant and total byte bounds; always keeps the newest batch.
  void trim(Tenant& t, Clock::time_point now);

  ResumeRingLimits limits_;
  std::unordered_map<TenantId, Tenant> tenants_;
  std::size_t bytes_ = 0;
  std::size_t batches_ = 0;
};

}  // namespace fleet::hub
