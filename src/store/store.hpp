#pragma once
// The storage seam. SqliteStore is the embedded default; MemoryStore serves tests and benchmarks.
// Every call is asynchronous and thread-safe. Callbacks run on the store's own thread, in the order the
// store committed the work, and must not block (post the result to your own executor instead).
// Exceptions: a refusal for a full queue or a stopped store (unavailable) is delivered inline on the
// calling thread, before the call returns; so may a snapshot (see snapshot()); MemoryStore runs every
// callback inline. So never call a store method while holding a lock that the callback also takes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "core/telemetry.hpp"

namespace fleet::store {

template <class T>
using Callback = std::function<void(Result<T>)>;

struct AppendRequest {
  std::string key_hash;  // hex SHA-256 of the device's ingest key
  std::vector<TelemetryPoint> points;
  std::int64_t received_ms = 0;
};

// What was durably stored: the device's identity and the points with their new per-tenant seqs.
struct AppendResult {
  TenantId tenant;
  DeviceId device;
  std::vector<StoredPoint> points;
  Seq last_seq = 0;
};

// A tenant's devices (revoked ones excluded) with last positions, consistent with tenant sequence `seq`:
// every point with seq <= `seq` is reflected, none after it.
struct Snapshot {
  Seq seq = 0;
  std::vector<Device> devices;
};

// What a resuming session missed: every point of the tenant with seq in (since, seq], in seq order.
struct Recovery {
  Seq seq = 0;            // the tenant's seq when the read ran (ordered with commits, like a snapshot)
  bool complete = false;  // false: `since` is above `seq`, or more than the asked maximum would be needed
  std::vector<StoredPoint> points;  // empty unless complete
};

struct HistoryQuery {
  TenantId tenant;
  DeviceId device;
  std::int64_t from_ms = INT64_MIN;  // inclusive, device time
  std::int64_t to_ms = INT64_MAX;    // exclusive
  std::size_t limit = 100;
  // Pagination cursor: the seq of the last point of the previous page (HistoryPage::next_after). The
  // store looks up that point's ts and resumes strictly after (ts, seq), so ties and out-of-order arrivals
  // neither skip nor repeat points. A seq that is not a point of this device -> invalid_field "after".
  std::optional<Seq> after_seq;
};

struct HistoryPage {
  std::vector<StoredPoint> points;  // ascending by (ts, seq); at most min(limit, 1000), at least 1 asked
  std::optional<Seq> next_after;    // set when more points remain: pass it back as after_seq
};

class Store {
 public:
  virtual ~Store() = default;

  // Stores a validated batch for the device owning key_hash. Fails with unauthorized for an unknown or
  // revoked key, unavailable when the queue is full or the store is stopping, storage_unavailable when
  // the disk refuses the write (full, I/O error). Completes only after the batch is durable (per the
  // configured synchronous mode). All or nothing.
  virtual void append(AppendRequest req, Callback<AppendResult> done) = 0;

  // Assigns a fresh "dev_" id. A key_hash already registered (to any device, revoked included) or an
  // empty one fails with invalid_field "key_hash".
  virtual void create_device(TenantId tenant, std::string name, std::string key_hash,
                             Callback<Device> done) = 0;
  // not_found for a device of another tenant, exactly as for a missing one. Revoking twice is fine.
  virtual void revoke_device(TenantId tenant, DeviceId id, Callback<Device> done) = 0;
  // not_found for a device of another tenant, exactly as for a missing one.
  virtual void get_device(TenantId tenant, DeviceId id, Callback<Device> done) = 0;
  // Every device of the tenant in creation order, revoked ones included (with revoked_ms set).
  virtual void list_devices(TenantId tenant, Callback<std::vector<Device>> done) = 0;
  // An unknown tenant gets an empty snapshot with seq 0. The callback may run inline on the calling thread
  // (before snapshot() returns, e.g. when served from memory) or later on the store thread: callers must
  // cope with both, e.g. by posting the result to their own executor. Either way the snapshot reflects at
  // least every append, create and revoke whose callback has started, and never an append that is not
  // durable.
  virtual void snapshot(TenantId tenant, Callback<Snapshot> done) = 0;
  // not_found when the device is not the tenant's.
  virtual void history(HistoryQuery q, Callback<HistoryPage> done) = 0;
  // The points of `tenant` after `since`, for a resume, if there are at most `max_events` of them. Ordered
  // with commits: the answer reflects every append whose callback has started, so a session subscribed to
  // the hub before asking misses nothing between the two. Never runs inline except for refusals.
  virtual void events_after(TenantId tenant, Seq since, std::size_t max_events, Callback<Recovery> done) = 0;
  // The tenant's epoch (store/epoch.hpp). Thread-safe, cheap, never blocks on the store thread.
  virtual std::string epoch(const TenantId& tenant) const = 0;
  // Whether key_hash belongs to a device that may append now (registered, not revoked), as of every
  // create and revoke whose callback has started. Thread-safe, cheap, never blocks on the store thread:
  // the transport asks it before it reads an ingest body. append() still checks the key itself.
  virtual bool device_key_active(std::string_view key_hash) const = 0;
  // Empty while the store can write; otherwise why not (e.g. "database or disk is full"): from a write
  // that failed for a storage reason (ErrorCode::storage_unavailable) until one succeeds again. Reads keep
  // working meanwhile. Thread-safe, cheap, never blocks on the store thread: readiness asks it.
  virtual std::string write_failure() const = 0;

  // Refuses new work, completes everything already queued (so acknowledged data is on disk), then
  // releases resources. Idempotent; blocks until done.
  virtual void stop() = 0;
};

}  // namespace fleet::store
