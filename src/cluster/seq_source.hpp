#pragma once
// Where a node reads the committed order back when the bus lost, reordered or never carried a batch: the
// tenants' heads (for the periodic probe) and the committed events after a seq (for repairs). The system of
// record implements it (the PostgreSQL store, adapted in src/app); tests use an in-memory fake.
#include <cstddef>
#include <vector>

#include "core/ids.hpp"
#include "store/store.hpp"

namespace fleet::cluster {

// A tenant's last committed seq.
struct TenantHead {
  TenantId tenant;
  Seq seq = 0;
};

class SeqSource {
 public:
  virtual ~SeqSource() = default;
  // Every tenant's head, ordered with commits: each head reflects at least every commit whose store
  // callback has started. The callback may run on any thread, inline included, and must not block.
  virtual void heads(store::Callback<std::vector<TenantHead>> done) = 0;
  // As store::Store::events_after: every point of `tenant` with seq in (since, recovery.seq], or
  // complete == false when more than `max` would be needed. Same threading as heads().
  virtual void events_after(TenantId tenant, Seq since, std::size_t max,
                            store::Callback<store::Recovery> done) = 0;
};

}  // namespace fleet::cluster
