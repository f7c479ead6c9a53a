#pragma once
// Per-worker fan-out: which local sessions watch which tenant. Single-threaded by design: each worker
// owns one TenantHub and only its thread touches it, so the hot path takes no locks.
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"
#include "hub/outbox.hpp"
#include "hub/resume_ring.hpp"
#include "hub/scoped_view.hpp"
#include "hub/view_index.hpp"
#include "proto/messages.hpp"

namespace fleet::hub {

// A live session as the hub sees it. Implemented by the transport's WebSocket session.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual Outbox& outbox() noexcept = 0;
  // The outbox has new data. Called once per publish, after the fan-out loop. Typically starts a write
  // if none is in flight. Must not publish, subscribe, unsubscribe or destroy any subscriber synchronously.
  virtual void on_ready() = 0;
  // The outbox is over its hard limit even after coalescing. Called after the fan-out loop and after this
  // publish's on_ready calls. The session closes with 1013 Slow consumer, and may do so at once: WsSession
  // unsubscribes itself and writes its close frame from here. Unsubscribing (itself or another) is safe
  // because the hub then iterates only its own scratch list, never the tenant's subscriber list. Must not
  // publish, subscribe, or destroy any subscriber synchronously.
  virtual void on_overflow() = 0;
  // The session's view (docs/protocol.md, "Views"), or nullptr: the whole tenant. When it is not the
  // whole tenant, the hub offers the session only the events its cells route to it, one by one.
  virtual ScopedView* scoped() noexcept { return nullptr; }
};

struct HubStats {
  std::uint64_t deliveries = 0;        // events appended to outboxes (events x subscribers)
  std::uint64_t coalesced_events = 0;  // events dropped by coalescing
  std::uint64_t overflows = 0;         // sessions pushed over their hard limit
};

class TenantHub {
 public:
  explicit TenantHub(ResumeRingLimits ring = {}) : ring_(ring) {}

  // The subscriber must unsubscribe before it is destroyed.
  void subscribe(const TenantId& tenant, Subscriber* s);
  void unsubscribe(const TenantId& tenant, Subscriber* s);
  // The subscriber's view changed (s->scoped()): routes its events by the new one from the next publish.
  void update_view(const TenantId& tenant, Subscriber* s);

  // Keeps the batch in the resume ring, appends it to every subscriber of batch->tenant, then notifies
  // them. The batch's bytes are shared, never copied. Not reentrant.
  void publish(const std::shared_ptr<const proto::EncodedBatch>& batch);

  // Recent batches of every tenant, for resumes (resume_ring.hpp).
  ResumeRing& ring() noexcept { return ring_; }

  std::size_t subscribers(const TenantId& tenant) const;
  std::size_t tenants() const noexcept { return tenants_.size(); }
  const HubStats& stats() const noexcept { return stats_; }

 private:
  ResumeRing ring_;
  struct Subscribers {
    std::vector<Subscriber*> all;  // whole-tenant sessions
    ViewIndex scoped;
    bool empty() const noexcept { return all.empty() && scoped.empty(); }
  };
  static bool is_scoped(Subscriber* s) noexcept {
    return s->scoped() != nullptr && !s->scoped()->filter().whole_tenant();
  }
  void publish_scoped(const std::shared_ptr<const proto::EncodedBatch>& batch, ViewIndex& views,
                      std::uint64_t& deliveries, std::uint64_t& coalesced_events);

  std::unordered_map<TenantId, Subscribers> tenants_;
  std::uint64_t stamp_ = 0;            // one per event offered to scoped sessions
  std::uint64_t publish_ = 0;          // one per publish
  std::vector<Subscriber*> ready_;     // scratch, reused across publishes
  std::vector<Subscriber*> overflow_;  // scratch
  HubStats stats_;
};

}  // namespace fleet::hub
